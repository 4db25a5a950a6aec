-- Monthly revenue KPIs from the warehouse (cancelled lines excluded).
-- ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea
WITH RECURSIVE
live AS (
  SELECT f.*, d.year_month FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
  WHERE f.status <> 'cancelled'
),
refunds AS (
  SELECT d.year_month, SUM(r.refund_usd) AS returns_usd FROM fact_return r JOIN dim_date d ON d.date_key = r.date_key
  GROUP BY d.year_month
),
sales AS (
  SELECT year_month, SUM(revenue_usd) AS gross, COUNT(DISTINCT order_id) AS orders,
         COUNT(DISTINCT CASE WHEN customer_key <> 0 THEN customer_key END) AS active
  FROM live GROUP BY year_month
),
months(m) AS (
  SELECT MIN(year_month) || '-01' FROM live
  UNION ALL SELECT date(m, '+1 month') FROM months
  WHERE strftime('%Y-%m', date(m, '+1 month')) <= (SELECT MAX(year_month) FROM (SELECT year_month FROM sales
                                                                                UNION SELECT year_month FROM refunds))
)
SELECT strftime('%Y-%m', m) AS month,
       printf('%.2f', COALESCE(s.gross, 0)) AS gross_revenue_usd,
       printf('%.2f', COALESCE(r.returns_usd, 0)) AS returns_usd,
       printf('%.2f', COALESCE(s.gross, 0) - COALESCE(r.returns_usd, 0)) AS net_revenue_usd,
       COALESCE(s.orders, 0) AS orders,
       COALESCE(s.active, 0) AS active_customers
FROM months LEFT JOIN sales s ON s.year_month = strftime('%Y-%m', m)
LEFT JOIN refunds r ON r.year_month = strftime('%Y-%m', m)
ORDER BY month;

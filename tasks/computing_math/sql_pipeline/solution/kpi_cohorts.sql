-- Cohort retention by month of first non-cancelled order (known customers only).
-- ALE-CANARY-a9c4c53e-13f1-44b7-9939-8c1c4dbee7ea
WITH RECURSIVE
activity AS (
  SELECT DISTINCT f.customer_key, d.year_month FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
  WHERE f.status <> 'cancelled' AND f.customer_key <> 0
),
firsts AS (SELECT customer_key, MIN(year_month) AS cohort FROM activity GROUP BY customer_key),
sizes AS (SELECT cohort, COUNT(*) AS cohort_size FROM firsts GROUP BY cohort),
offsets(cohort, k, m) AS (
  SELECT cohort, 0, cohort || '-01' FROM sizes
  UNION ALL SELECT cohort, k + 1, date(m, '+1 month') FROM offsets
  WHERE strftime('%Y-%m', date(m, '+1 month')) <= (
    SELECT MAX(d.year_month) FROM fact_order_line f JOIN dim_date d ON d.date_key = f.date_key
    WHERE f.status <> 'cancelled')
)
SELECT o.cohort AS cohort_month, o.k AS months_since_first_order, s.cohort_size,
       COUNT(a.customer_key) AS active_customers,
       printf('%.2f', ROUND(100.0 * COUNT(a.customer_key) / s.cohort_size, 2)) AS retention_pct
FROM offsets o JOIN sizes s ON s.cohort = o.cohort
LEFT JOIN firsts fi ON fi.cohort = o.cohort
LEFT JOIN activity a ON a.customer_key = fi.customer_key AND a.year_month = strftime('%Y-%m', o.m)
GROUP BY o.cohort, o.k
ORDER BY o.cohort, o.k;

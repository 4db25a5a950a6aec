# Oracle: estimate the four columns in R with the brief's inference conventions and write the
# CSV table, the LaTeX table and the interpretation.
# ALE-CANARY-9a4c6e27-1d3b-4f85-b2e0-7c5d8f1a6e93
suppressPackageStartupMessages({
  library(sandwich)
  library(lmtest)
  library(AER)
  library(jsonlite)
})

inp <- Sys.getenv("ALE_INPUT_DIR")
out <- Sys.getenv("ALE_OUTPUT_DIR")
dir.create(out, showWarnings = FALSE, recursive = TRUE)

stars <- function(p) ifelse(p < 0.01, "***", ifelse(p < 0.05, "**", ifelse(p < 0.1, "*", "")))

# One column: coefficients with the chosen covariance and t degrees of freedom.
column <- function(fit, se, terms, data, cluster = NULL) {
  n <- nobs(fit)
  if (se == "conventional") {
    vc <- vcov(fit); df <- df.residual(fit)
  } else if (se == "HC1") {
    vc <- vcovHC(fit, type = "HC1"); df <- df.residual(fit)
  } else {
    vc <- vcovCL(fit, cluster = data[[cluster]], type = "HC1")
    df <- length(unique(data[[cluster]])) - 1
  }
  ct <- coeftest(fit, vcov. = vc, df = df)
  y <- model.response(model.frame(fit))
  u <- residuals(fit)  # structural residuals y - X b for ivreg
  list(est = ct[terms, 1], se = ct[terms, 2], p = ct[terms, 4], vc = vc, df = df, n = n,
       r2 = 1 - sum(u^2) / sum((y - mean(y))^2))
}

first_stage_f <- function(formula, data, se, cluster = NULL) {
  fs <- lm(formula, data = data)
  c <- column(fs, se, "nearc4", data, cluster)
  (c$est / c$se)^2
}

pct <- function(b) 100 * (exp(b) - 1)
ci <- function(c, term) {
  half <- qt(0.975, c$df) * c$se[[term]]
  c(c$est[[term]] - half, c$est[[term]] + half)
}

if (file.exists(file.path(inp, "cps_extract.csv"))) {
  d <- read.csv(file.path(inp, "cps_extract.csv"))
  d <- d[!is.na(d$hourly_wage) & d$hourly_wage >= 2 & d$age >= 18 & d$age <= 64, ]
  d$y <- log(d$hourly_wage); d$exper2 <- d$exper^2 / 100; d$female_x_union <- d$female * d$union
  base <- c("educ", "exper", "exper2", "female", "union")
  terms <- c(base, "female_x_union")
  f_base <- y ~ educ + exper + exper2 + female + union
  f_fe <- y ~ educ + exper + exper2 + female + union + factor(state) + factor(industry)
  f_int <- y ~ educ + exper + exper2 + female + union + female_x_union + factor(state) + factor(industry)
  cols <- list(column(lm(f_base, d), "conventional", base, d), column(lm(f_base, d), "HC1", base, d),
               column(lm(f_fe, d), "cluster", base, d, "state"),
               column(lm(f_int, d), "cluster", terms, d, "state"))
  notes <- c("State and industry fixed effects & No & No & Yes & Yes",
             "Standard errors & Conventional & HC1 & Cluster (state) & Cluster (state)")
  b3 <- cols[[3]]; b4 <- cols[[4]]
  interp <- list(return_to_schooling_pct = pct(b3$est[["educ"]]), educ_ci95_model3 = ci(b3, "educ"),
                 gender_gap_pct = pct(b3$est[["female"]]),
                 union_premium_women_pct = pct(b4$est[["union"]] + b4$est[["female_x_union"]]))
  summary_text <- sprintf(paste(
    "With state and industry fixed effects and state-clustered standard errors, an additional year of",
    "schooling raises hourly wages by about %.1f percent, women earn about %.1f percent less than",
    "comparable men, and the union premium for women is about %.1f percent."),
    interp$return_to_schooling_pct, -interp$gender_gap_pct, interp$union_premium_women_pct)
} else if (file.exists(file.path(inp, "firm_panel.csv"))) {
  d <- read.csv(file.path(inp, "firm_panel.csv"))
  d <- d[!is.na(d$value_added) & !is.na(d$capital) & !is.na(d$employees) &
           d$value_added > 0 & d$capital > 0 & d$employees >= 10, ]
  d$y <- log(d$value_added); d$lnk <- log(d$capital); d$lnl <- log(d$employees)
  terms <- c("lnk", "lnl", "rd_intensity", "exporter")
  f_pool <- y ~ lnk + lnl + rd_intensity + exporter
  f_fe <- y ~ lnk + lnl + rd_intensity + exporter + factor(firm_id) + factor(year)
  fe <- lm(f_fe, d)
  cols <- list(column(lm(f_pool, d), "conventional", terms, d), column(lm(f_pool, d), "HC1", terms, d),
               column(fe, "cluster", terms, d, "firm_id"), column(fe, "cluster", terms, d, "industry"))
  notes <- c("Firm and year fixed effects & No & No & Yes & Yes",
             "Standard errors & Conventional & HC1 & Cluster (firm) & Cluster (industry)")
  b3 <- cols[[3]]
  rts <- b3$est[["lnk"]] + b3$est[["lnl"]]
  rts_se <- sqrt(b3$vc["lnk", "lnk"] + b3$vc["lnl", "lnl"] + 2 * b3$vc["lnk", "lnl"])
  interp <- list(returns_to_scale = rts, returns_to_scale_se = rts_se,
                 crs_test_pvalue = 2 * pt(abs((rts - 1) / rts_se), b3$df, lower.tail = FALSE),
                 exporter_premium_pct = pct(b3$est[["exporter"]]))
  crs_verdict <- if (interp$crs_test_pvalue < 0.05) "are rejected" else "cannot be rejected"
  summary_text <- sprintf(paste(
    "Within firms, the capital and labor elasticities sum to %.3f (SE %.3f), so constant returns",
    "to scale %s at the 5 percent level (p = %.4f); exporting is associated with %.1f percent higher value added."),
    rts, rts_se, crs_verdict, interp$crs_test_pvalue, interp$exporter_premium_pct)
} else {
  d <- read.csv(file.path(inp, "young_men_1976.csv"))
  d <- d[d$age76 >= 25, ]
  d$y <- log(d$wage); d$exper2 <- d$exper^2 / 100
  terms <- c("educ", "exper", "exper2", "black", "south", "smsa")
  f_ols <- y ~ educ + exper + exper2 + black + south + smsa
  f_iv <- y ~ educ + exper + exper2 + black + south + smsa | nearc4 + exper + exper2 + black + south + smsa
  f_fs <- educ ~ nearc4 + exper + exper2 + black + south + smsa
  iv <- ivreg(f_iv, data = d)
  cols <- list(column(lm(f_ols, d), "conventional", terms, d), column(lm(f_ols, d), "HC1", terms, d),
               column(iv, "HC1", terms, d), column(iv, "cluster", terms, d, "county_group"))
  cols[[3]]$fsf <- first_stage_f(f_fs, d, "HC1")
  cols[[4]]$fsf <- first_stage_f(f_fs, d, "cluster", "county_group")
  notes <- c("Estimator & OLS & OLS & 2SLS & 2SLS",
             "Standard errors & Conventional & HC1 & HC1 & Cluster (county group)")
  b4 <- cols[[4]]
  interp <- list(ols_return_pct = pct(cols[[2]]$est[["educ"]]), iv_return_pct = pct(b4$est[["educ"]]),
                 iv_educ_ci95 = ci(b4, "educ"), first_stage_f_clustered = b4$fsf)
  summary_text <- sprintf(paste(
    "OLS implies a return to schooling of %.1f percent per year; instrumenting schooling with",
    "college proximity gives %.1f percent, with a wide clustered 95 percent interval, and a",
    "first-stage F of %.1f."), interp$ols_return_pct, interp$iv_return_pct, interp$first_stage_f_clustered)
}

# CSV table
rows <- list()
for (m in seq_along(cols)) {
  c <- cols[[m]]
  for (t in names(c$est)) {
    rows[[length(rows) + 1]] <- data.frame(model = m, term = t, estimate = sprintf("%.12g", c$est[[t]]),
                                           std_error = sprintf("%.12g", c$se[[t]]), p_value = sprintf("%.12g", c$p[[t]]),
                                           stars = stars(c$p[[t]]))
  }
  extra <- list(N = c$n, R2 = c$r2)
  if (!is.null(c$fsf)) extra$first_stage_F <- c$fsf
  for (s in names(extra)) {
    rows[[length(rows) + 1]] <- data.frame(model = m, term = s, estimate = sprintf("%.12g", extra[[s]]),
                                           std_error = "", p_value = "", stars = "")
  }
}
write.csv(do.call(rbind, rows), file.path(out, "regression_table.csv"), row.names = FALSE, quote = FALSE)

# LaTeX table
cell <- function(c, t, what) {
  if (!(t %in% names(c$est))) return("")
  if (what == "coef") sprintf("%.3f%s", c$est[[t]], stars(c$p[[t]])) else sprintf("(%.3f)", c$se[[t]])
}
esc <- function(s) gsub("_", "\\\\_", s)
tex <- c("\\begin{tabular}{lcccc}", "\\toprule", " & (1) & (2) & (3) & (4) \\\\", "\\midrule")
for (t in terms) {
  tex <- c(tex, paste0(esc(t), " & ", paste(sapply(cols, cell, t = t, what = "coef"), collapse = " & "), " \\\\"),
           paste0(" & ", paste(sapply(cols, cell, t = t, what = "se"), collapse = " & "), " \\\\"))
}
tex <- c(tex, "\\midrule",
         paste0("N & ", paste(sapply(cols, function(c) sprintf("%d", c$n)), collapse = " & "), " \\\\"),
         paste0("R2 & ", paste(sapply(cols, function(c) sprintf("%.3f", c$r2)), collapse = " & "), " \\\\"))
if (!is.null(cols[[3]]$fsf)) {
  tex <- c(tex, paste0("First-stage F &  &  & ", sprintf("%.1f", cols[[3]]$fsf), " & ",
                       sprintf("%.1f", cols[[4]]$fsf), " \\\\"))
}
tex <- c(tex, paste(notes, "\\\\"), "\\bottomrule", "\\end{tabular}")
writeLines(tex, file.path(out, "regression_table.tex"))

interp$summary <- summary_text
writeLines(toJSON(interp, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "interpretation.json"))

#!/usr/bin/env bash
# Oracle: the regression table in R (lm, AER::ivreg, sandwich, lmtest).
# ALE-CANARY-9a4c6e27-1d3b-4f85-b2e0-7c5d8f1a6e93
set -euo pipefail
exec Rscript --vanilla "$(dirname "$0")/solve.R"

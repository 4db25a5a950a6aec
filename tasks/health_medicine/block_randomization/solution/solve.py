#!/usr/bin/env python3
"""Oracle for health_medicine/block_randomization: statsmodels power analysis + seeded permuted blocks.

ALE-CANARY-24df4d0a-58b7-4d11-9419-e997129687fd
"""

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from itertools import product
from pathlib import Path

import pandas as pd
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
HERE = Path(__file__).resolve().parent
SEED = 20261125


def planning_values(design: dict) -> dict:
    endpoint = design["endpoint"]
    if endpoint["type"] == "continuous":
        pilot = pd.read_csv(IN / endpoint["sd_source"])
        groups = pilot.groupby("arm")["change_from_baseline"]
        ss = groups.apply(lambda v: ((v - v.mean()) ** 2).sum()).sum()
        sd = math.sqrt(ss / (len(pilot) - groups.ngroups))
        return {"sd": sd, "difference": endpoint["difference"]}
    hist = pd.read_csv(IN / endpoint["control_rate_source"])
    p_control = hist["responders"].sum() / hist["evaluable"].sum()
    return {"p_control": p_control, "p_experimental": p_control + endpoint["difference"]}


def main() -> None:
    design = json.loads((IN / "design_parameters.json").read_text())
    ratios = {a["name"]: a["ratio"] for a in design["arms"]}
    comparison = design["primary_comparison"]
    control, experimental = comparison["control"], comparison["experimental"]
    k = ratios[experimental] / ratios[control]
    alpha, power = design["alpha"], design["power"]
    alternative = "two-sided" if design["sides"] == 2 else "larger"
    values = planning_values(design)

    if design["endpoint"]["type"] == "continuous":
        method, analysis = "t-test", TTestIndPower()
        effect = values["difference"] / values["sd"]
    else:
        method, analysis = "arcsine", NormalIndPower()
        effect = proportion_effectsize(values["p_experimental"], values["p_control"])
    # nobs1 = control arm, nobs2 = k x control arm
    n_control = math.ceil(analysis.solve_power(effect_size=effect, alpha=alpha, power=power, ratio=k,
                                               alternative=alternative) - 1e-9)
    unit_n = n_control / ratios[control]
    evaluable = {arm: round(unit_n * r) for arm, r in ratios.items()}
    achieved = analysis.power(effect_size=effect, nobs1=n_control, alpha=alpha, ratio=k, alternative=alternative)
    unit = sum(ratios.values())
    total_eval = sum(evaluable.values())
    randomized = unit * math.ceil(total_eval / (1 - design["dropout"]) / unit - 1e-9)
    sample_size = {
        "method": method,
        "software": "statsmodels " + ("TTestIndPower" if method == "t-test" else "NormalIndPower (Cohen's h)"),
        "assumptions": {**values, "alpha": alpha, "sides": design["sides"], "target_power": power,
                        "allocation_ratio_experimental_to_control": k},
        "evaluable_per_arm": evaluable,
        "evaluable_total": total_eval,
        "achieved_power": round(float(achieved), 4),
        "dropout_rate": design["dropout"],
        "randomized_total": randomized,
        "randomized_per_arm": {arm: randomized * r // unit for arm, r in ratios.items()},
    }
    (OUT / "sample_size.json").write_text(json.dumps(sample_size, indent=2) + "\n")

    strata = ["-".join(level[0] for level in combo) for combo in product(*[f["levels"] for f in design["factors"]])]
    work = Path(tempfile.mkdtemp())
    shutil.copy(HERE / "generate_schedule.py", OUT / "generate_schedule.py")
    plan = {"seed": SEED, "generator": "numpy PCG64", "block_sizes": design["block_sizes"], "strata": strata}
    (OUT / "randomization_plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    for name in ("design_parameters.json",):
        shutil.copy(IN / name, work / name)
    for name in ("sample_size.json", "randomization_plan.json"):
        shutil.copy(OUT / name, work / name)
    subprocess.run([sys.executable, str(OUT / "generate_schedule.py"), str(OUT / "randomization_schedule.csv")],
                   cwd=work, check=True)

    with open(OUT / "randomization_schedule.csv") as handle:
        rows = list(csv.DictReader(handle))
    counts = Counter((r["stratum"], r["arm"]) for r in rows)
    with open(OUT / "allocation_summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["stratum", "arm", "n_allocated"])
        for stratum in strata:
            for arm in ratios:
                writer.writerow([stratum, arm, counts[(stratum, arm)]])
    plan["list_length_per_stratum"] = dict(Counter(r["stratum"] for r in rows))
    (OUT / "randomization_plan.json").write_text(json.dumps(plan, indent=2) + "\n")


if __name__ == "__main__":
    main()

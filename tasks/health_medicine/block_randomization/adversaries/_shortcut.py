#!/usr/bin/env python3
"""Near-miss randomisation deliverables: the sample size is computed properly (statsmodels), the list
is a valid stratified permuted-block list, and one corner is cut, chosen by the staged name:

- stored_list: generate_schedule.py writes a stored copy of the list (it never draws anything);
- stored_lists: generate_schedule.py holds two lists, compressed: the submitted one for the plan's seed, and for
  any other seed the second one with each stratum's blocks turned round by the seed and two arms swapped on odd
  seeds (every seed seems to get its own list, yet nothing is drawn);
- packed_list: generate_schedule.py holds the submitted list zlib-compressed and base64-encoded and writes it for
  the plan's seed; any other seed goes to a genuine generator (the submitted list is not the script's output);
- lookup_lists: generate_schedule.py holds 64 lists drawn beforehand, each as its block sizes and its arms coded
  0, 1, 2 (no randomisation numbers, no arm names), compressed and encoded, and picks one by the seed modulo 64
  (the submitted list is the plan seed's entry): nothing is drawn from the seed it is given;
- int_table: generate_schedule.py holds 64 lists drawn beforehand, each stratum's block sizes and arms packed into two
  plain decimal integers (no text, no base64, no compression), and picks one by the seed modulo 64: nothing is
  drawn from the seed it is given;
- xor_table: the same with 1024 lists, each compressed and XORed with a key, kept as bytes literals (picked by
  the seed modulo 1024: with so many entries, a few hidden seeds rarely land on the same one);
- strata_table: the 64 lists of int_table, but each stratum taken from its own entry, picked by a hash of the seed
  and the stratum: no whole list repeats, but strata do;
- fixed_seed: the script ignores the plan's seed and always draws from the seed it was written with;
- one_block_size: every block has the smallest permitted size (sizes are not randomised);
- batched_sizes: a size is drawn once for a run of five blocks, so the sizes come in predictable batches;
- giant_block_size: the blocks are drawn as asked, but the list states an enormous block size for every block
  (the grader must reject it quickly, not count the orders of such a block)."""

import base64
import csv
import json
import math
import os
import subprocess
import sys
import zlib
from collections import Counter
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(sys.argv[0]).stem
SEED = 777

design = json.loads((IN / "design_parameters.json").read_text())
ratios = {a["name"]: a["ratio"] for a in design["arms"]}
control, experimental = design["primary_comparison"]["control"], design["primary_comparison"]["experimental"]
k = ratios[experimental] / ratios[control]
ep = design["endpoint"]
if ep["type"] == "continuous":
    pilot = pd.read_csv(IN / ep["sd_source"])
    resid = pilot["change_from_baseline"] - pilot.groupby("arm")["change_from_baseline"].transform("mean")
    sd = math.sqrt((resid**2).sum() / (len(pilot) - pilot["arm"].nunique()))
    method, engine, effect, values = "t-test", TTestIndPower(), ep["difference"] / sd, {"sd": sd}
else:
    hist = pd.read_csv(IN / ep["control_rate_source"])
    pc = hist["responders"].sum() / hist["evaluable"].sum()
    method, engine = "arcsine", NormalIndPower()
    effect, values = proportion_effectsize(pc + ep["difference"], pc), {"p_control": pc}
alt = "two-sided" if design["sides"] == 2 else "larger"
n_c = math.ceil(engine.solve_power(effect_size=effect, alpha=design["alpha"], power=design["power"], ratio=k,
                                   alternative=alt) - 1e-9)
evaluable = {a: round(n_c / ratios[control] * r) for a, r in ratios.items()}
unit = sum(ratios.values())
total = unit * math.ceil(sum(evaluable.values()) / (1 - design["dropout"]) / unit - 1e-9)
power = engine.power(effect_size=effect, nobs1=n_c, alpha=design["alpha"], ratio=k, alternative=alt)
(OUT / "sample_size.json").write_text(json.dumps({
    "method": method, "assumptions": {**values, "difference": ep["difference"]}, "evaluable_per_arm": evaluable,
    "evaluable_total": sum(evaluable.values()), "achieved_power": round(float(power), 4),
    "dropout_rate": design["dropout"], "randomized_total": total,
    "randomized_per_arm": {a: total * r // unit for a, r in ratios.items()}}, indent=2))

SCRIPT = '''import csv, json, math, sys
from itertools import product
from pathlib import Path
import numpy as np
design = json.loads(Path("design_parameters.json").read_text())
total = json.loads(Path("sample_size.json").read_text())["randomized_total"]
seed = SEED_SOURCE
rng = np.random.default_rng(seed)
arms = [(a["name"], a["ratio"]) for a in design["arms"]]
unit = sum(r for _, r in arms)
sizes = SIZES
rows = []
for combo in product(*[f["levels"] for f in design["factors"]]):
    code = "-".join(level[0] for level in combo)
    need = math.ceil(design["list_capacity_factor"] * total * math.prod(level[2] for level in combo) - 1e-9)
    block = 0
    while sum(r[0] == code for r in rows) < need:
        block += 1
        size = SIZE_DRAW
        arms_in_block = rng.permutation([n for n, r in arms for _ in range(size * r // unit)])
        for pos, arm in enumerate(arms_in_block, 1):
            rows.append([code, block, size, pos, f"{code}-{sum(r[0] == code for r in rows) + 1:03d}", arm])
with open(sys.argv[1], "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\\n")
    w.writerow(["stratum", "block_number", "block_size", "position", "randomization_number", "arm"])
    w.writerows(rows)
'''
PACKED_LIST = """import base64, json, sys, zlib
from pathlib import Path
if json.loads(Path("randomization_plan.json").read_text())["seed"] == SEED:
    Path(sys.argv[1]).write_text(zlib.decompress(base64.b64decode(PACKED)).decode())
    sys.exit()
"""
LOOKUP_LISTS = """import base64, csv, json, sys, zlib
from pathlib import Path
names = [a["name"] for a in json.loads(Path("design_parameters.json").read_text())["arms"]]
seed = json.loads(Path("randomization_plan.json").read_text())["seed"]
entry = json.loads(zlib.decompress(base64.b64decode(PACKED[seed % len(PACKED)])))
out = [["stratum", "block_number", "block_size", "position", "randomization_number", "arm"]]
for stratum, (sizes, arms) in entry.items():
    count = 0
    for number, size in enumerate(sizes, start=1):
        for position in range(1, int(size) + 1):
            out.append([stratum, number, size, position, f"{stratum}-{count + 1:03d}", names[int(arms[count])]])
            count += 1
with open(sys.argv[1], "w", newline="") as handle:
    csv.writer(handle, lineterminator="\\n").writerows(out)
"""
TABLE = 64
INT_TABLE = """import csv, json, sys
from pathlib import Path
design = json.loads(Path("design_parameters.json").read_text())
arms = [a["name"] for a in design["arms"]]
sizes = [int(b) for b in design["block_sizes"]]
TABLE = PACKED
KEY = b"ALE-not-a-generator"
def unpack(n, base):
    out = []
    while n > 1:
        n, d = divmod(n, base)
        out.append(d)
    return out[::-1]
def entry(seed):
    item = TABLE[seed % len(TABLE)]
    if isinstance(item, bytes):
        import zlib
        item = json.loads(zlib.decompress(bytes(b ^ KEY[i % len(KEY)] for i, b in enumerate(item))))
    return item
seed = json.loads(Path("randomization_plan.json").read_text())["seed"]
out = [["stratum", "block_number", "block_size", "position", "randomization_number", "arm"]]
for stratum, (s, a) in entry(seed).items():
    allocations = unpack(a, len(arms))
    count = 0
    for number, index in enumerate(unpack(s, len(sizes)), start=1):
        for position in range(1, sizes[index] + 1):
            out.append([stratum, number, sizes[index], position, f"{stratum}-{count + 1:03d}", arms[allocations[count]]])
            count += 1
with open(sys.argv[1], "w", newline="") as handle:
    csv.writer(handle, lineterminator="\\n").writerows(out)
"""


def drawn_entry(seed: int) -> dict[str, list[int]]:
    """One list drawn in this process the way the generator draws it, each stratum's block-size indices and arm
    indices packed into two integers (a leading 1 keeps leading zeros)."""
    rng = np.random.default_rng(seed)
    arm_names, sizes = list(ratios), [int(b) for b in design["block_sizes"]]
    entry = {}
    for combo in product(*[f["levels"] for f in design["factors"]]):
        code = "-".join(level[0] for level in combo)
        need = math.ceil(design["list_capacity_factor"] * total * math.prod(level[2] for level in combo) - 1e-9)
        size_code, arm_code, count = 1, 1, 0
        while count < need:
            index = int(rng.integers(len(sizes)))
            size_code = size_code * len(sizes) + index
            content = [arm_names.index(n) for n, r in ratios.items() for _ in range(sizes[index] * r // unit)]
            for arm in rng.permutation(content):
                arm_code = arm_code * len(arm_names) + int(arm)
            count += sizes[index]
        entry[code] = [size_code, arm_code]
    return entry


STORED_LISTS = """import base64, csv, io, json, sys, zlib
from collections import defaultdict
from pathlib import Path
submitted, second = (zlib.decompress(base64.b64decode(text)).decode() for text in PACKED)
seed = json.loads(Path("randomization_plan.json").read_text())["seed"]
if seed == SEED:
    Path(sys.argv[1]).write_text(submitted)
    sys.exit()
names = [a["name"] for a in json.loads(Path("design_parameters.json").read_text())["arms"]]
swap = {names[-2]: names[-1], names[-1]: names[-2]} if seed % 2 else {}
blocks = defaultdict(lambda: defaultdict(list))
for row in list(csv.reader(io.StringIO(second)))[1:]:
    blocks[row[0]][int(row[1])].append(row)
out = [["stratum", "block_number", "block_size", "position", "randomization_number", "arm"]]
for stratum, numbered in blocks.items():
    order = [numbered[k] for k in sorted(numbered)]
    turn = seed % len(order)
    count = 0
    for number, block in enumerate(order[turn:] + order[:turn], start=1):
        for row in block:
            count += 1
            out.append([stratum, number, row[2], row[3], f"{stratum}-{count:03d}", swap.get(row[5], row[5])])
with open(sys.argv[1], "w", newline="") as handle:
    csv.writer(handle, lineterminator="\\n").writerows(out)
"""
seed_source = str(SEED) if MODE == "fixed_seed" else 'json.loads(Path("randomization_plan.json").read_text())["seed"]'
sizes = "[min(design['block_sizes'])]" if MODE == "one_block_size" else "design['block_sizes']"
draw = "int(rng.choice(sizes)) if (block - 1) % 5 == 0 else size" if MODE == "batched_sizes" else "int(rng.choice(sizes))"
script = SCRIPT.replace("SEED_SOURCE", seed_source).replace("SIZES", sizes).replace("SIZE_DRAW", draw)
if MODE == "giant_block_size":
    script = script.replace("rows.append([code, block, size,", "rows.append([code, block, 10**8,")
strata = ["-".join(level[0] for level in combo) for combo in product(*[f["levels"] for f in design["factors"]])]
plan = {"seed": SEED, "generator": "numpy default_rng", "block_sizes": design["block_sizes"], "strata": strata}
(OUT / "randomization_plan.json").write_text(json.dumps(plan))
(OUT / "generate_schedule.py").write_text(script)
(OUT / "design_parameters.json").write_text((IN / "design_parameters.json").read_text())
subprocess.run([sys.executable, "generate_schedule.py", "randomization_schedule.csv"], cwd=OUT, check=True)
(OUT / "design_parameters.json").unlink()
listing = (OUT / "randomization_schedule.csv").read_text()
if MODE == "stored_list":
    (OUT / "generate_schedule.py").write_text(
        f"import sys\nLIST = {listing!r}\nopen(sys.argv[1], 'w').write(LIST)\n")
if MODE == "stored_lists":
    (OUT / "design_parameters.json").write_text((IN / "design_parameters.json").read_text())
    (OUT / "randomization_plan.json").write_text(json.dumps({**plan, "seed": SEED + 1}))
    subprocess.run([sys.executable, "generate_schedule.py", "second.csv"], cwd=OUT, check=True)
    second = (OUT / "second.csv").read_text()
    for name in ("design_parameters.json", "second.csv"):
        (OUT / name).unlink()
    packed = [base64.b64encode(zlib.compress(text.encode())).decode() for text in (listing, second)]
    (OUT / "generate_schedule.py").write_text(STORED_LISTS.replace("PACKED", repr(packed)).replace("SEED", str(SEED)))
if MODE == "packed_list":
    packed = repr(base64.b64encode(zlib.compress(listing.encode())).decode())
    (OUT / "generate_schedule.py").write_text(PACKED_LIST.replace("SEED", str(SEED)).replace("PACKED", packed) + script)
if MODE == "lookup_lists":
    (OUT / "design_parameters.json").write_text((IN / "design_parameters.json").read_text())
    table = []
    for entry in range(TABLE):
        seed = SEED if entry == SEED % TABLE else 10**6 + entry
        (OUT / "randomization_plan.json").write_text(json.dumps({**plan, "seed": seed}))
        subprocess.run([sys.executable, "generate_schedule.py", "entry.csv"], cwd=OUT, check=True)
        coded: dict[str, list[str]] = {}
        for row in csv.DictReader((OUT / "entry.csv").read_text().splitlines()):
            sizes, arms = coded.setdefault(row["stratum"], ["", ""])
            coded[row["stratum"]] = [sizes + row["block_size"] * (row["position"] == "1"),
                                     arms + str(list(ratios).index(row["arm"]))]
        table.append(base64.b64encode(zlib.compress(json.dumps(coded).encode())).decode())
    for name in ("design_parameters.json", "entry.csv"):
        (OUT / name).unlink()
    (OUT / "generate_schedule.py").write_text(LOOKUP_LISTS.replace("PACKED", repr(table)))
if MODE in ("int_table", "xor_table", "strata_table"):
    key = b"ALE-not-a-generator"
    size = 1024 if MODE == "xor_table" else TABLE
    entries: list = [drawn_entry(SEED if entry == SEED % size else 10**6 + entry) for entry in range(size)]
    if MODE == "xor_table":
        entries = [bytes(b ^ key[i % len(key)] for i, b in enumerate(zlib.compress(json.dumps(item).encode(), 9)))
                   for item in entries]
    script = INT_TABLE.replace("PACKED", repr(entries))
    if MODE == "strata_table":
        script = script.replace("for stratum, (s, a) in entry(seed).items():\n", """import hashlib
def pick(stratum):
    return int(hashlib.sha256(f"{seed}/{stratum}".encode()).hexdigest(), 16) % len(TABLE)
for stratum in TABLE[0]:
    s, a = TABLE[pick(stratum)][stratum]
""")
    (OUT / "generate_schedule.py").write_text(script)
    (OUT / "design_parameters.json").write_text((IN / "design_parameters.json").read_text())
    (OUT / "randomization_plan.json").write_text(json.dumps(plan))
    subprocess.run([sys.executable, "generate_schedule.py", "randomization_schedule.csv"], cwd=OUT, check=True)
    (OUT / "design_parameters.json").unlink()
    listing = (OUT / "randomization_schedule.csv").read_text()
rows = list(csv.DictReader(listing.splitlines()))
counts = Counter((r["stratum"], r["arm"]) for r in rows)
with open(OUT / "allocation_summary.csv", "w", newline="") as fh:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(["stratum", "arm", "n_allocated"])
    w.writerows([s, a, counts[(s, a)]] for s in strata for a in ratios)
plan["list_length_per_stratum"] = dict(Counter(r["stratum"] for r in rows))
(OUT / "randomization_plan.json").write_text(json.dumps(plan, indent=2))

"""A town's existing water-distribution network and its design standard, drawn from a seed.

Three layouts: ``looped_tank`` (a gravity-fed looped grid with an elevated tank), ``branched_pump`` (a
branched system fed by a pump station from a clearwell, a tank at the far end) and ``fire_governed`` (a
looped grid of larger mains whose deficits are fire flows at commercial and industrial hydrants). The
network is written as an EPANET input file (LPS, Hazen-Williams) with the texture of a utility's model.

The standard is first drawn (``standard``) and then sized to the network from a hydraulic survey of it
(survey.py; ``size_growth``, ``size_hydrants``), so that the deficits the task is about exist by construction: the design
growth factor is at least the one at which the existing tank no longer recovers (and, but for
``fire_governed``, the peak-hour pressure fails) and short of the one that not even the largest mains could
serve, and the first named hydrant is the critical one of the far half of the town, with a required fire
flow of the standard class above what the existing mains deliver there at the residual pressure (and within
what the largest mains could).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LAYOUTS = ("looped_tank", "branched_pump", "fire_governed")
CATALOGUE_MM = (100, 150, 200, 250, 300, 350, 400, 450, 500, 600)
NEW_PIPE_C = 130.0
# needed fire flows (L/s): the 500 to 3000 gpm classes of the fire-flow guides, as the utility rounds them
FIRE_CLASSES = (32.0, 50.0, 63.0, 79.0, 95.0, 110.0, 126.0, 150.0, 190.0)
# the highest design-year growth factor a planning horizon of 2040-2050 supports, per layout
GROWTH_CAP = {"looped_tank": 1.9, "branched_pump": 1.9, "fire_governed": 1.5}
DIURNAL = (0.55, 0.45, 0.40, 0.40, 0.45, 0.65, 1.05, 1.55, 1.75, 1.50, 1.25, 1.15,
           1.10, 1.05, 1.00, 1.00, 1.10, 1.30, 1.60, 1.65, 1.35, 1.05, 0.80, 0.65)


@dataclass
class Network:
    """The parts of an EPANET model this task uses (lengths in m, diameters in mm, demands in L/s)."""
    title: str
    junctions: list[tuple[str, float, float]] = field(default_factory=list)   # id, elevation, base demand
    pipes: list[tuple[str, str, str, float, float, float]] = field(default_factory=list)  # id, n1, n2, L, D, C
    coordinates: dict[str, tuple[float, float]] = field(default_factory=dict)
    reservoir: tuple[str, float] = ("", 0.0)                                  # id, head
    tank: tuple[str, float, float, float, float, float] = ("", 0, 0, 0, 0, 0)  # id, elev, init, min, max, diam
    pump: tuple[str, str, str, float, float] | None = None                    # id, n1, n2, design Q, design H


def catalogue_rows() -> list[tuple[int, float, float]]:
    """(nominal diameter mm, internal diameter mm, installed replacement cost per metre)."""
    rows = []
    for d in CATALOGUE_MM:
        cost = 165.0 + 1.32 * d + 0.0016 * d * d
        rows.append((d, float(d), round(cost / 5.0) * 5.0))
    return rows


def _aged_c(rng: np.random.Generator) -> float:
    return float(rng.choice([75.0, 80.0, 85.0, 90.0, 95.0, 100.0, 105.0, 110.0]))


def _grid(net: Network, rng: np.random.Generator, rows: int, cols: int, sizes: tuple[int, ...],
          demand: tuple[float, float], drop: int) -> dict[tuple[int, int], str]:
    names: dict[tuple[int, int], str] = {}
    spacing_x, spacing_y = rng.uniform(220, 320), rng.uniform(200, 300)
    slope_x, slope_y = rng.uniform(0.004, 0.010), rng.uniform(0.0, 0.006)
    for r in range(rows):
        for c in range(cols):
            jid = f"J{(r + 1) * 100 + c + 1}"
            names[(r, c)] = jid
            x, y = c * spacing_x, r * spacing_y
            elev = 18.0 + slope_x * x + slope_y * y + rng.normal(0, 1.2)
            net.junctions.append((jid, round(elev, 2), round(float(rng.uniform(*demand)), 2)))
            net.coordinates[jid] = (round(1000 + x, 1), round(5000 + y, 1))
    edges = [((r, c), (r, c + 1)) for r in range(rows) for c in range(cols - 1)]
    edges += [((r, c), (r + 1, c)) for r in range(rows - 1) for c in range(cols)]
    interior = [e for e in edges if 0 < e[0][0] < rows - 1 and 0 < e[0][1] < cols - 1]
    dropped = {interior[i] for i in rng.choice(len(interior), size=drop, replace=False)}
    count = 0
    for a, b in edges:
        if (a, b) in dropped:
            continue
        count += 1
        spine = a[0] == 0 or a[1] == 0
        length = math.dist(net.coordinates[names[a]], net.coordinates[names[b]]) * rng.uniform(1.0, 1.12)
        size = sizes[-1] if spine and rng.random() < 0.6 else float(rng.choice(sizes))
        net.pipes.append((f"P{count:03d}", names[a], names[b], round(length, 1), size, _aged_c(rng)))
    return names


def _looped(rng: np.random.Generator, fire: bool) -> Network:
    net = Network(title="Existing system, all-mains model, calibrated to 2024 SCADA")
    rows, cols = (5, 6) if not fire else (5, 5)
    sizes = (100, 150, 150, 200) if not fire else (150, 150, 200, 250)
    names = _grid(net, rng, rows, cols, sizes, (0.35, 1.2) if not fire else (0.5, 1.6), drop=3 if not fire else 2)
    source, far = names[(0, 0)], names[(rows - 1, cols - 1)]
    x0, y0 = net.coordinates[source]
    net.coordinates["WTP"] = (x0 - 1500, y0 - 300)
    high = max(e for _, e, _ in net.junctions)
    net.reservoir = ("WTP", round(high + (45.0 if not fire else 36.0) + rng.uniform(0, 4), 1))
    tm_length = round(float(rng.uniform(1600, 2400)), 1)
    net.pipes.append(("TM-1", "WTP", source, tm_length, 250.0, 95.0))
    xf, yf = net.coordinates[far]
    net.coordinates["ET-1"] = (xf + 150, yf + 120)
    tank_elev = round(net.reservoir[1] - 12.0 - rng.uniform(0, 3), 1)
    net.tank = ("ET-1", tank_elev, 4.5, 0.5, 8.0, round(float(rng.uniform(16, 22)), 1))
    net.pipes.append(("TR-1", far, "ET-1", 120.0, 300.0, 100.0))
    return net


def _branched(rng: np.random.Generator) -> Network:
    net = Network(title="Hillside pressure zone, skeletonised model")
    trunk = 10
    x, elev = 0.0, 30.0
    prev = "J-PS"
    net.junctions.append(("J-PS", 28.0, 0.0))
    net.coordinates["J-PS"] = (2000.0, 8000.0)
    net.coordinates["CW-1"] = (1950.0, 7950.0)
    count = 0
    trunk_sizes = (300, 300, 250, 250, 250, 200, 200, 200, 150, 150)
    for i in range(trunk):
        x += rng.uniform(300, 450)
        elev += rng.uniform(1.5, 4.0)
        jid = f"T{i + 1:02d}"
        net.junctions.append((jid, round(elev, 2), round(float(rng.uniform(0.8, 2.0)), 2)))
        net.coordinates[jid] = (round(2000 + x, 1), 8000.0)
        count += 1
        length = round(float(rng.uniform(300, 450)), 1)
        net.pipes.append((f"M{count:03d}", prev, jid, length, float(trunk_sizes[i]), _aged_c(rng)))
        prev_branch = jid
        for k in range(int(rng.integers(1, 4))):
            bid = f"B{i + 1:02d}{k + 1}"
            side = 1 if i % 2 else -1
            net.junctions.append((bid, round(elev + rng.uniform(-2, 6), 2), round(float(rng.uniform(0.4, 1.2)), 2)))
            net.coordinates[bid] = (round(2000 + x, 1), round(8000 + side * 220 * (k + 1), 1))
            count += 1
            net.pipes.append((f"M{count:03d}", prev_branch, bid, round(float(rng.uniform(180, 300)), 1),
                              float(rng.choice((100, 100, 150))), _aged_c(rng)))
            prev_branch = bid
        prev = jid
    net.reservoir = ("CW-1", 30.0)
    high = max(e for _, e, _ in net.junctions)
    tank_elev = round(high + 30.0 + rng.uniform(0, 3), 1)
    net.coordinates["ET-1"] = (round(2000 + x + 200, 1), 8100.0)
    net.tank = ("ET-1", tank_elev, 4.0, 0.5, 7.5, round(float(rng.uniform(14, 20)), 1))
    net.pipes.append(("TR-1", prev, "ET-1", 150.0, 250.0, 100.0))
    average = sum(d for _, _, d in net.junctions)
    head = tank_elev + 4.0 - 30.0 + 10.0
    net.pump = ("PS-1", "CW-1", "J-PS", round(1.3 * average, 1), round(head, 1))
    return net


def build(layout: str, rng: np.random.Generator) -> Network:
    """The existing network of one layout."""
    if layout == "branched_pump":
        return _branched(rng)
    return _looped(rng, fire=layout == "fire_governed")


def standard(layout: str, net: Network, rng: np.random.Generator) -> dict:
    """The utility's design standard for the design year (the budget is added once the design is known)."""
    junctions = [j for j, _, d in net.junctions if d > 0]
    far = sorted(junctions, key=lambda j: -math.dist(net.coordinates[j], net.coordinates[net.reservoir[0]]))
    if layout == "fire_governed":
        picks = [far[int(i)] for i in rng.choice(len(far) // 2, size=3, replace=False)]
        flows = [float(rng.choice([126.0, 150.0])), float(rng.choice([95.0, 110.0])), 95.0]
        zones = ["industrial", "commercial", "commercial"]
    else:
        picks = [far[int(i)] for i in rng.choice(len(far) // 2, size=3, replace=False)]
        flows = [float(rng.choice([50.0, 63.0])), 32.0, float(rng.choice([32.0, 50.0]))]
        zones = ["commercial", "residential", "residential"]
    growth = {"looped_tank": (1.35, 1.6), "branched_pump": (1.3, 1.5), "fire_governed": (1.15, 1.3)}[layout]
    return {
        "design_year": int(2040 + rng.integers(0, 3) * 5),
        "demand_growth_factor": round(float(rng.uniform(*growth)), 2),
        "min_pressure_m": 28.0,
        "max_velocity_m_s": 1.8,
        "fire_flow": {
            "max_day_factor": round(float(rng.uniform(1.25, 1.45)), 2),
            "min_residual_pressure_m": 14.0,
            "hydrants": [{"node": n, "flow_L_s": f, "zone": z} for n, f, z in zip(picks, flows, zones, strict=True)],
        },
        "tank_recovery_days": 3,
        "new_pipe_roughness_C": NEW_PIPE_C,
    }


def size_growth(layout: str, standard: dict, survey: dict, rng: np.random.Generator) -> float | None:
    """The design-year growth factor: the drawn one, moved past the existing network's breaking points (a
    tank that no longer recovers; but for fire_governed, peak-hour pressure below the minimum) when it stops
    short of them, and short of the growth that not even the largest mains could serve; None when no growth
    within the planning horizon's cap does both."""
    needed = survey["growth_tank"]
    if layout != "fire_governed":
        needed = max(needed, survey["growth_peak_pressure"])
    low = math.ceil((needed + 0.01) * 100) / 100
    high = math.floor(min(GROWTH_CAP[layout], survey["growth_feasible"] - 0.03) * 100) / 100
    if high < low:
        return None
    growth = standard["demand_growth_factor"]
    if not low <= growth <= high:
        growth = min(high, low + math.floor(float(rng.uniform(0, 0.06)) * 100) / 100)
    return round(growth, 2)


def size_hydrants(layout: str, net: Network, standard: dict, survey: dict, rng: np.random.Generator) -> bool:
    """Name the critical hydrant: the first hydrant test moves to one of the three junctions of the far half
    of the town with the least fire flow available (at the survey's margin below the residual pressure), and
    its required flow becomes the least fire-flow class above that (at least the drawn class, if the largest
    mains could deliver it). Every required flow stays within what the largest mains could deliver. False
    when no junction of the far half can be sized so."""
    available, capacity = survey["available_L_s"], survey["capacity_L_s"]
    hydrants = standard["fire_flow"]["hydrants"]
    junctions = [j for j, _, d in net.junctions if d > 0]
    far = sorted(junctions, key=lambda j: -math.dist(net.coordinates[j], net.coordinates[net.reservoir[0]]))
    first = hydrants[0]
    options = {}
    for j in sorted(far[:len(far) // 2], key=lambda j: available[j]):
        classes = [c for c in FIRE_CLASSES if available[j] + 0.5 < c <= capacity[j] - 5.0]
        if classes:
            options[j] = next((c for c in classes if c >= first["flow_L_s"]), classes[-1])
        if len(options) == 3:
            break
    if not options:
        return False
    node = sorted(options)[int(rng.integers(len(options)))]
    flow = options[node]
    zone = first["zone"] if layout == "fire_governed" else "commercial" if flow < 126.0 else "industrial"
    others = []
    for h in hydrants:
        if h["node"] != node:
            fits = [c for c in FIRE_CLASSES if c <= min(h["flow_L_s"], capacity[h["node"]] - 5.0)]
            if not fits:
                return False
            others.append({**h, "flow_L_s": fits[-1]})
    standard["fire_flow"]["hydrants"] = [{"node": node, "flow_L_s": flow, "zone": zone}, *others[:2]]
    return True


def inp_text(net: Network, canary: str) -> str:
    """The network as an EPANET 2.2 input file."""
    out = [f"[TITLE]\n{net.title}\n; {canary}\n", "[JUNCTIONS]\n;ID              \tElev        \tDemand      \tPattern"]
    out += [f" {j:<16}\t{e:<12}\t{d:<12}\tDIURNAL\t;" for j, e, d in net.junctions]
    rid, head = net.reservoir
    out += ["\n[RESERVOIRS]\n;ID              \tHead        \tPattern", f" {rid:<16}\t{head:<12}\t\t;"]
    tid, elev, init, lo, hi, diam = net.tank
    out += ["\n[TANKS]\n;ID              \tElevation   \tInitLevel   \tMinLevel    \tMaxLevel    \tDiameter    \tMinVol",
            f" {tid:<16}\t{elev:<12}\t{init:<12}\t{lo:<12}\t{hi:<12}\t{diam:<12}\t0"]
    out += ["\n[PIPES]\n;ID              \tNode1           \tNode2           \tLength      \tDiameter    \tRoughness   \tMinorLoss   \tStatus"]
    out += [f" {p:<16}\t{a:<16}\t{b:<16}\t{length:<12}\t{d:<12g}\t{c:<12g}\t0           \tOpen  \t;" for p, a, b, length, d, c in net.pipes]
    out += ["\n[PUMPS]\n;ID              \tNode1           \tNode2           \tParameters"]
    curves = []
    if net.pump:
        pid, a, b, q, h = net.pump
        out += [f" {pid:<16}\t{a:<16}\t{b:<16}\tHEAD PC-1\t;"]
        curves = ["\n[CURVES]\n;ID              \tX-Value     \tY-Value", ";PUMP: duty point of PS-1 (two duty pumps)",
                  f" PC-1            \t{q:<12}\t{h:<12}"]
    out += ["\n[PATTERNS]\n;ID              \tMultipliers", ";residential-commercial diurnal curve, 2024 meter study"]
    for k in range(0, 24, 6):
        out.append(" DIURNAL         \t" + "\t".join(f"{m:.2f}" for m in DIURNAL[k:k + 6]))
    out += curves
    out += ["\n[TIMES]\n Duration           \t72:00\n Hydraulic Timestep \t1:00\n Pattern Timestep   \t1:00\n"
            " Report Timestep    \t1:00\n Start ClockTime    \t12 am\n",
            "[OPTIONS]\n Units              \tLPS\n Headloss           \tH-W\n Trials             \t200\n"
            " Accuracy           \t0.0001\n Demand Multiplier  \t1.0\n",
            "[COORDINATES]\n;Node            \tX-Coord         \tY-Coord"]
    out += [f" {n:<16}\t{x:<16}\t{y:<16}" for n, (x, y) in net.coordinates.items()]
    out.append("\n[END]\n")
    return "\n".join(out)

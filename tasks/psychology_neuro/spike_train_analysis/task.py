"""Spike train analysis: sort an extracellular recording into units and analyse their responses.

Workflow: the analyst receives a raw wideband extracellular recording (int16 binary with a JSON
header: a single electrode or a tetrode) and the stimulus onset times. They band-pass filter,
detect spikes by threshold, extract waveforms, reduce them with PCA and cluster them into single
units, then report each unit's spike times, firing rate, refractory-period (ISI) violations, a
peri-stimulus time histogram and whether the unit is excited, suppressed or unaffected by the
stimulus.

Generation: 3-4 units on a single electrode, 3 or 5 and 5 or 7 on the tetrodes (the scenario's units, one dropped
or one or two added by a draw from the instance's own stream, never the scenario's own count, so the count is not a
property of the scenario) with distinct multi-channel waveform templates. On a tetrode several units share their
largest channel, and in each such group one unit is the twin of another: the same footprint shape at about half
its size, so neither the peak channel, nor the footprint's shape (a template's direction), nor a fixed size cut
tells them apart; only where the spikes lie in the feature space does. Each unit's size, its amplitudes on its
other channels, the channels' labels and gains, each unit's waveform time course and which unit responds how
are drawn from streams of the instance's own, so no
template, size, peak channel or response role can be replayed from the public instances. The units fire as
inhomogeneous Poisson processes with a refractory period (stimulus-locked excitation or suppression, one unit
bursting in the hardest variant); waveforms are added at sub-sample positions onto band-limited noise, a slow LFP and, in one variant, mains hum. The ground-truth spike times
and response classes are the reference.

Grade: ground-truth units are matched one-to-one to submitted units (Hungarian assignment on the
agreement accuracy, spikes matched to the true trough within 0.2 ms, so a threshold-crossing time
without trough alignment does not match); checks: the unit count, per-unit sorting
accuracy (>= 0.8), firing rates and ISI-violation rates recomputed from the submitted spike
times, the PSTH CSV recomputed from the submitted spike times and events, the response class of
each matched unit, each matched unit's peak channel against its ground-truth unit's largest
channel, and the summary against the spike table.
"""
# ALE-CANARY-734195ff-8860-4dda-b4b4-9674bf8a5454

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal, stats
from scipy.optimize import linear_sum_assignment

from lastexam.task import Grading, Params, as_number

UV_PER_BIT = 0.195
MATCH_TOL_S = 0.0002  # a trough-aligned sorter lands within 0.12 ms; a threshold crossing leads by 0.1-0.3 ms
ACCURACY_MIN = 0.8
REFRACTORY_S = 0.0015
PSTH_PRE, PSTH_POST, PSTH_BIN = 0.5, 1.0, 0.025
RESP_WINDOW = 0.3
RESP_ALPHA = 0.01
# a bin may be one spike off (a time written to 1 us can cross a bin edge), plus the rate's own rounding
PSTH_RATE_ROUNDING = 1e-3

SCENARIOS: dict[str, dict[str, Any]] = {
    "single_electrode": {
        "fs": 30000, "duration": 80.0, "channels": 1, "noise_uv": 11.0, "lfp_uv": 60.0, "hum_uv": 0.0,
        "units": [
            {"shape": "broad", "amp": [132.0], "rate": 6.0, "response": "excited", "burst": 0.0},
            {"shape": "narrow", "amp": [114.0], "rate": 14.0, "response": "suppressed", "burst": 0.0},
        ],
        "extras": [{"shape": "broad", "amp": [235.0], "rate": 5.0, "response": "none", "burst": 0.0},
                   {"shape": "narrow", "amp": [340.0], "rate": 4.0, "response": "none", "burst": 0.0}],
        "counts": (4, 3), "droppable": None, "footprint_distance_uv": 0.0, "size_spread": (1.0, 1.0),
    },
    "tetrode": {
        "fs": 20000, "duration": 90.0, "channels": 4, "noise_uv": 10.0, "lfp_uv": 80.0, "hum_uv": 0.0,
        "units": [
            {"shape": "narrow", "amp": [150.0, 95.0, 50.0, 30.0], "rate": 5.0, "response": "excited", "burst": 0.0},
            {"shape": "narrow", "amp": [80.0, 50.0, 27.0, 16.0], "rate": 8.0, "response": "none", "burst": 0.0,
             "twin_of": 0, "twin_ratio": (0.52, 0.6)},
            {"shape": "broad", "amp": [115.0, 35.0, 100.0, 70.0], "rate": 12.0, "response": "suppressed",
             "burst": 0.0},
            {"shape": "narrow", "amp": [35.0, 110.0, 40.0, 95.0], "rate": 16.0, "response": "suppressed",
             "burst": 0.0},
        ],
        "extras": [{"shape": "narrow", "amp": [40.0, 55.0, 35.0, 150.0], "rate": 7.0, "response": "none", "burst": 0.0}],
        "counts": (3, 5), "droppable": 3, "footprint_distance_uv": 55.0,
        "size_spread": (0.9, 1.35),
    },
    "noisy_tetrode": {
        "fs": 25000, "duration": 90.0, "channels": 4, "noise_uv": 12.0, "lfp_uv": 120.0, "hum_uv": 35.0,
        "units": [
            {"shape": "broad", "amp": [160.0, 110.0, 70.0, 50.0], "rate": 4.0, "response": "excited", "burst": 0.3},
            {"shape": "narrow", "amp": [30.0, 165.0, 80.0, 85.0], "rate": 18.0, "response": "suppressed",
             "burst": 0.0},
            {"shape": "broad", "amp": [90.0, 130.0, 30.0, 25.0], "rate": 7.0, "response": "none", "burst": 0.0},
            {"shape": "narrow", "amp": [160.0, 50.0, 190.0, 35.0], "rate": 10.0, "response": "excited", "burst": 0.0},
            {"shape": "narrow", "amp": [75.0, 24.0, 90.0, 18.0], "rate": 8.0, "response": "none", "burst": 0.0,
             "twin_of": 3, "twin_ratio": (0.45, 0.55)},
            {"shape": "narrow", "amp": [15.0, 85.0, 45.0, 50.0], "rate": 6.0, "response": "none", "burst": 0.0,
             "twin_of": 1, "twin_ratio": (0.45, 0.55)},
        ],
        "extras": [{"shape": "broad", "amp": [50.0, 65.0, 45.0, 165.0], "rate": 6.0, "response": "none", "burst": 0.0}],
        "counts": (5, 7), "droppable": 0, "footprint_distance_uv": 75.0,
        "size_spread": (1.0, 1.3),
    },
}
COUNT_STREAM = 12  # the instance's unit count is drawn from a stream of its own: (seed, COUNT_STREAM)
SIZE_STREAM = 14  # and their sizes from a third: (seed, SIZE_STREAM)
GEOMETRY_STREAM = 13  # and its units' footprints, sizes, shapes and response roles from another: (seed, GEOMETRY_STREAM)
FOOTPRINT_SHARE = (0.2, 0.75)  # a unit's amplitude on its other channels, as a share of its largest
FOOTPRINT_DRAWS = 1000  # footprint draws before falling back to the scenario's own footprints
TWIN_JITTER = (0.92, 1.08)  # a twin's per-channel deviation from its model unit's footprint shape
SHAPES = {  # trough width, rebound delay, rebound width (ms), rebound ratio
    "broad": (0.20, 0.55, 0.32, 0.32),
    "narrow": (0.10, 0.30, 0.16, 0.50),
}


# -- generation ---------------------------------------------------------------------------------


def waveform(shape: str, tau_ms: np.ndarray, stretch: float = 1.0) -> np.ndarray:
    """Unit-amplitude extracellular spike shape, trough near 0 ms, its time course scaled by ``stretch``."""
    s1, d, s2, ratio = SHAPES[shape]
    s1, d, s2 = s1 * stretch, d * stretch, s2 * stretch
    return -np.exp(-(tau_ms**2) / (2 * s1**2)) + ratio * np.exp(-((tau_ms - d) ** 2) / (2 * s2**2))


def trough_offset_ms(shape: str, stretch: float = 1.0) -> float:
    tau = np.linspace(-0.5, 0.5, 20001)
    return float(tau[np.argmin(waveform(shape, tau, stretch))])


def rate_profile(unit: dict, rel: np.ndarray) -> np.ndarray:
    """Firing-rate modulation around one stimulus onset (``rel`` in seconds after onset)."""
    if unit["response"] == "excited":
        lat, tau = 0.04, 0.06
        x = np.clip(rel - lat, 0, None)
        return 55.0 * (x / tau) * np.exp(1 - x / tau)
    if unit["response"] == "suppressed":
        return -0.9 * unit["rate"] * ((rel >= 0.02) & (rel < 0.32))
    return np.zeros_like(rel)


def spike_train(rng: np.random.Generator, unit: dict, onsets: np.ndarray, duration: float) -> np.ndarray:
    """Inhomogeneous Poisson with a 2 ms dead time; bursting units add doublets/triplets."""
    peak = unit["rate"] + 60.0
    candidates = np.sort(rng.uniform(0, duration, rng.poisson(peak * duration)))
    rate = np.full(candidates.shape, unit["rate"])
    idx = np.searchsorted(onsets, candidates) - 1
    has = idx >= 0
    rate[has] += rate_profile(unit, candidates[has] - onsets[idx[has]])
    kept = candidates[rng.uniform(0, peak, candidates.size) < rate]
    times: list[float] = []
    for t in kept:
        if times and t - times[-1] < 0.002:
            continue
        times.append(float(t))
        if unit["burst"] and rng.uniform() < unit["burst"]:
            for k in range(1, rng.integers(2, 4)):
                times.append(float(t + k * rng.uniform(0.004, 0.007)))
    out = np.array(sorted(times))
    out = out[(out > 0.005) & (out < duration - 0.005)]
    keep = np.concatenate([[True], np.diff(out) >= 0.002])
    return out[keep]


def response_class(times: np.ndarray, onsets: np.ndarray) -> tuple[str, float]:
    """Wilcoxon signed-rank test of spike counts in [0, 300) ms after vs [-300, 0) ms before onset."""
    post = np.array([np.sum((times >= o) & (times < o + RESP_WINDOW)) for o in onsets])
    pre = np.array([np.sum((times >= o - RESP_WINDOW) & (times < o)) for o in onsets])
    if np.all(post == pre):
        return "none", 1.0
    p = float(stats.wilcoxon(post, pre).pvalue)
    if p >= RESP_ALPHA:
        return "none", p
    return ("excited" if post.mean() > pre.mean() else "suppressed"), p


def _noise(rng: np.random.Generator, sc: dict, n: int) -> np.ndarray:
    fs = sc["fs"]
    sos_hi = signal.butter(2, [300, min(7000, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    white = rng.normal(0, 1, (n, sc["channels"]))
    hf = signal.sosfilt(sos_hi, white, axis=0)
    hf *= sc["noise_uv"] / hf.std()
    sos_lo = signal.butter(2, 12, btype="lowpass", fs=fs, output="sos")
    slow = signal.sosfilt(sos_lo, rng.normal(0, 1, (n, 1)), axis=0)
    lfp = slow / slow.std() * sc["lfp_uv"] * rng.uniform(0.8, 1.2, sc["channels"])
    out = hf + lfp
    if sc["hum_uv"]:
        t = np.arange(n) / fs
        out += sc["hum_uv"] * np.sin(2 * np.pi * 50 * t + 0.3)[:, None]
    return out


def instance_units(sc: dict, seed: int) -> list[dict]:
    """The units of one instance: the scenario's, less one or plus one or two by a draw of the instance's own.

    Neither count a draw can bring is the scenario table's own, so no count can be read off this table. The unit
    that may be dropped is never a twin or a twin's model, nor one of the units that share their largest channel,
    so the hard pairs stay in every instance; an added unit is largest on a channel no other unit peaks on (on a
    tetrode) or far larger than the others (on a single electrode), so it is as separable as they are.
    """
    count = int(np.random.default_rng([seed, COUNT_STREAM]).choice(sc["counts"]))
    units = list(sc["units"])
    if count < len(units):
        dropped = sc["droppable"]
        units = [{**unit, "twin_of": unit["twin_of"] - (unit["twin_of"] > dropped)} if "twin_of" in unit else unit
                 for k, unit in enumerate(units) if k != dropped]
    units += sc["extras"][:count - len(units)]
    sizes = drawn_sizes(units, sc["size_spread"], np.random.default_rng([seed, SIZE_STREAM]))
    return drawn_geometry(units, sizes, sc["footprint_distance_uv"], np.random.default_rng([seed, GEOMETRY_STREAM]))


def drawn_sizes(units: list[dict], spread: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Each unit's amplitude on its largest channel: the scenario's scaled by a factor drawn from ``spread``; a
    twin's a share of its model unit's, drawn from its ``twin_ratio``, so that neither the sizes nor the size
    that splits a twin from its model can be read off the public instances."""
    factors = rng.uniform(*spread, len(units))
    sizes = np.zeros(len(units))
    for k, unit in enumerate(units):
        if "twin_of" in unit:
            sizes[k] = sizes[unit["twin_of"]] * rng.uniform(*unit["twin_ratio"])
        else:
            sizes[k] = max(unit["amp"]) * factors[k]
    return sizes


def drawn_geometry(units: list[dict], sizes: np.ndarray, distance_uv: float,
                   rng: np.random.Generator) -> list[dict]:
    """The units as this instance draws them, so that no template or role can be read off the public instances.

    Each unit keeps its largest channel, its size there is ``sizes``, and its other channels are drawn afresh (see
    ``drawn_footprints``); then the channels are relabelled and each gets a gain of its own (for every unit
    alike), each unit's time course is stretched, and the response roles are dealt out afresh among the units.
    """
    channels = len(units[0]["amp"])
    order = rng.permutation(channels)
    gain = rng.uniform(0.92, 1.08, channels)
    responses = rng.permutation([unit["response"] for unit in units])
    stretches = rng.uniform(0.93, 1.07, len(units))
    footprints = drawn_footprints(units, sizes, distance_uv, rng)
    return [{**unit, "amp": [round(float(a), 1) for a in footprint[order] * gain], "stretch": float(stretch),
             "response": str(response)}
            for unit, footprint, stretch, response in zip(units, footprints, stretches, responses, strict=True)]


def drawn_footprints(units: list[dict], sizes: np.ndarray, distance_uv: float,
                     rng: np.random.Generator) -> list[np.ndarray]:
    """Each unit's amplitude per channel: its ``sizes`` on its largest channel, the others a fresh share of it.

    A unit with a ``twin_of`` is the same footprint as that earlier unit, scaled to its own size (a second
    neuron further along the same line from the electrode), each channel jittered by a few per cent: a
    template's shape does not tell the two apart, only where the spikes lie in the feature space. On a
    tetrode the draw is repeated until every two units stand at least ``distance_uv`` apart over the
    channels (the scenario's ``footprint_distance_uv``, larger where the noise is); after
    ``FOOTPRINT_DRAWS`` failed draws (never seen) the scenario's own footprints, which do, are used.
    """
    for _ in range(FOOTPRINT_DRAWS):
        footprints: list[np.ndarray] = []
        for unit, size in zip(units, sizes, strict=True):
            channels = len(unit["amp"])
            peak = int(np.argmax(unit["amp"]))
            if "twin_of" in unit:
                model = footprints[unit["twin_of"]]
                drawn = model / model[peak] * size * rng.uniform(*TWIN_JITTER, channels)
            else:
                drawn = size * rng.uniform(*FOOTPRINT_SHARE, channels)
            drawn[peak] = size
            footprints.append(drawn)
        if far_apart(footprints, distance_uv):
            return footprints
    return [np.array(unit["amp"]) for unit in units]


def far_apart(footprints: list[np.ndarray], distance_uv: float) -> bool:
    """Every two footprints at least ``distance_uv`` apart over the channels."""
    return all(np.linalg.norm(a - b) >= distance_uv for a, b in combinations(footprints, 2))


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    sc = SCENARIOS[params["scenario"]]
    units = instance_units(sc, params["seed"])
    for attempt in range(20):
        rng = np.random.default_rng([params["seed"], attempt])
        onsets = np.cumsum(rng.uniform(1.6, 2.4, 60))
        onsets = np.round(onsets[onsets < sc["duration"] - 1.2], 4)
        trains = [spike_train(rng, u, onsets, sc["duration"]) for u in units]
        classes = [response_class(t, onsets) for t in trains]
        clear = all(c == u["response"] and (p < 1e-3 or p > 0.1) for (c, p), u in zip(classes, units, strict=True))
        if clear:
            break
    fs, n = sc["fs"], int(sc["duration"] * sc["fs"])
    data = _noise(rng, sc, n)
    half = int(1.5e-3 * fs)
    offsets = np.arange(-half, 2 * half + 1)
    truth = []
    for unit, times in zip(units, trains, strict=True):
        amp = np.array(unit["amp"])
        shift = trough_offset_ms(unit["shape"], unit["stretch"])
        prev = -1.0
        scale_run = 1.0
        for t in times:
            scale_run = scale_run * 0.88 if t - prev < 0.01 else 1.0
            prev = t
            center = round(t * fs)
            idx = center + offsets
            tau_ms = (idx / fs - t) * 1000 + shift
            wave = waveform(unit["shape"], tau_ms, unit["stretch"])[:, None] * amp[None, :] * scale_run * rng.uniform(0.92, 1.08)
            data[idx] += wave
        truth.append(times)
    raw = np.clip(np.round(data / UV_PER_BIT), -32768, 32767).astype("<i2")
    raw.tofile(input_dir / "recording.dat")
    header = {
        "format": "raw binary, little-endian signed 16-bit integers, channels interleaved (sample-major)",
        "file": "recording.dat", "dtype": "int16", "byte_order": "little", "sampling_rate_hz": fs,
        "n_channels": sc["channels"], "n_samples": n, "duration_s": sc["duration"], "uv_per_bit": UV_PER_BIT,
        "electrode": "tetrode" if sc["channels"] == 4 else "single tungsten microelectrode",
        "channel_labels": [f"ch{k}" for k in range(sc["channels"])],
        "hardware_filter": "0.1 Hz - 7.5 kHz (wideband: contains LFP)",
    }
    (input_dir / "recording.json").write_text(json.dumps(header, indent=2) + "\n")
    with open(input_dir / "events.csv", "w") as handle:
        handle.write("trial,onset_s,stimulus\n")
        for k, onset in enumerate(onsets, 1):
            handle.write(f"{k},{onset:.4f},{params['stimulus']}\n")
    np.savez_compressed(reference_dir / "truth.npz", *truth)
    (reference_dir / "truth.json").write_text(json.dumps({
        "duration": sc["duration"], "responses": [c for c, _ in classes], "n_units": len(truth),
        "peak_channels": [int(np.argmax(unit["amp"])) for unit in units],
    }))


# -- grading ------------------------------------------------------------------------------------


def count_matches(a: np.ndarray, b: np.ndarray, tol: float = MATCH_TOL_S) -> int:
    """One-to-one matches between two sorted spike trains within ``tol`` seconds."""
    i = j = m = 0
    while i < len(a) and j < len(b):
        d = b[j] - a[i]
        if abs(d) <= tol:
            m, i, j = m + 1, i + 1, j + 1
        elif d < 0:
            j += 1
        else:
            i += 1
    return m


def psth(times: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.round(np.arange(-PSTH_PRE, PSTH_POST + PSTH_BIN / 2, PSTH_BIN), 6)
    counts = np.zeros(len(edges) - 1)
    for o in onsets:
        counts += np.histogram(times - o, bins=edges)[0]
    return edges[:-1], counts / (len(onsets) * PSTH_BIN)


def _submitted_trains(rows: list[dict[str, str]]) -> dict[str, np.ndarray] | None:
    trains: dict[str, list[float]] = {}
    for row in rows[:2_000_000]:
        t = as_number(row.get("spike_time_s"))
        if t is None:
            return None
        trains.setdefault(row.get("unit_id", ""), []).append(t)
    return {u: np.sort(np.array(v)) for u, v in trains.items()}


def _match(truth: list[np.ndarray], subs: dict[str, np.ndarray]) -> tuple[dict[int, str], np.ndarray]:
    names = sorted(subs)
    acc = np.zeros((len(truth), len(names)))
    for i, t in enumerate(truth):
        for j, name in enumerate(names):
            m = count_matches(t, subs[name])
            acc[i, j] = m / (len(t) + len(subs[name]) - m)
    pairs = {}
    if names:
        rows, cols = linear_sum_assignment(-acc)
        pairs = {int(r): names[c] for r, c in zip(rows, cols, strict=True)}
    best = np.array([acc[i, names.index(pairs[i])] if i in pairs else 0.0 for i in range(len(truth))])
    return pairs, best


def _by_unit(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r.get("unit_id", ""): r for r in rows}


def _grade_units_table(g: Grading, units: list[dict[str, str]], subs: dict[str, np.ndarray],
                       duration: float) -> None:
    table = _by_unit(units)
    verdicts = {}
    for name, times in subs.items():
        row = table.get(name)
        if row is None:
            verdicts[name] = "missing from units.csv"
            continue
        isi = np.diff(times)
        want_viol = float(np.mean(isi < REFRACTORY_S)) if isi.size else 0.0
        problems = []
        rate = as_number(row.get("firing_rate_hz"))
        if rate is None or abs(rate - len(times) / duration) > 0.001 + 1e-4 * len(times) / duration:
            problems.append(f"rate {row.get('firing_rate_hz')} vs {len(times) / duration:.3f}")
        if as_number(row.get("n_spikes")) != len(times):
            problems.append(f"n_spikes {row.get('n_spikes')} vs {len(times)}")
        viol = as_number(row.get("isi_violation_rate"))
        if viol is None or abs(viol - want_viol) > 1e-3:
            problems.append(f"ISI violations {row.get('isi_violation_rate')} vs {want_viol:.4f}")
        verdicts[name] = "; ".join(problems)
    g.fraction("units.csv spike counts, firing rates and ISI violations agree with the spike times", verdicts,
               noun="units")


def _grade_psth(g: Grading, rows: list[dict[str, str]], subs: dict[str, np.ndarray], onsets: np.ndarray) -> None:
    found: dict[str, dict[float, float | None]] = {}
    for row in rows:
        start = as_number(row.get("bin_start_s"))
        if start is not None:
            found.setdefault(row.get("unit_id", ""), {})[round(start, 4)] = as_number(row.get("rate_hz"))
    tol = 1.0 / (len(onsets) * PSTH_BIN) + PSTH_RATE_ROUNDING
    bad = []
    for name, times in subs.items():
        starts, rates = psth(times, onsets)
        got = found.get(name, {})
        wrong = sum(1 for s, r in zip(starts, rates, strict=True)
                    if got.get(round(float(s), 4)) is None or abs(got[round(float(s), 4)] - r) > tol)
        if wrong:
            bad.append(f"unit {name}: {wrong} of {len(starts)} bins off")
    g.share("psth.csv matches the PSTH recomputed from the submitted spikes and events", len(subs) - len(bad),
            len(subs), wrong=bad, noun="units")


def _grade_responses(g: Grading, table: dict[str, dict[str, str]], subs: dict[str, np.ndarray],
                     onsets: np.ndarray, pairs: dict[int, str], best: np.ndarray, truth: list[str]) -> None:
    """The test applied as specified to each submitted unit; the stimulus-driven units identified."""
    wrong = []
    for name, times in subs.items():
        want, p = response_class(times, onsets)
        got = table.get(name, {}).get("response", "").strip().lower()
        if got != want and not 0.005 <= p <= 0.02:
            wrong.append(f"unit {name}: {got!r}, the test gives {want!r} (p={p:.2g})")
    g.share("response class follows the specified Wilcoxon test on each unit's spikes", len(subs) - len(wrong),
            len(subs), wrong=wrong, noun="units")
    driven = [i for i, cls in enumerate(truth) if cls != "none"]
    right = [i for i in driven if i in pairs and best[i] >= ACCURACY_MIN / 2
             and table.get(pairs[i], {}).get("response", "").strip().lower() == truth[i]]
    g.check("stimulus-driven units identified as excited or suppressed", len(right) / len(driven) if driven else 1.0,
            weight=1.5, expected=[truth[i] for i in driven],
            found=[table.get(pairs.get(i, ""), {}).get("response") for i in driven])


def _grade_peak_channels(g: Grading, table: dict[str, dict[str, str]], pairs: dict[int, str], best: np.ndarray,
                         truth: list[int]) -> None:
    """Each ground-truth unit's sorted match reports the channel where that unit's spikes are largest."""
    wrong = []
    for i, channel in enumerate(truth):
        name = pairs.get(i)
        got = as_number(table.get(name, {}).get("peak_channel")) if name is not None else None
        if name is None or best[i] < ACCURACY_MIN / 2 or got != channel:
            wrong.append(f"unit {name}: peak_channel {got} (ground truth {channel})")
    g.share("peak channel of each sorted unit matches its ground-truth unit", len(truth) - len(wrong), len(truth),
            wrong=wrong, expected=truth)


def grade(g: Grading) -> None:
    if not g.require_files("spike_times.csv", "units.csv", "psth.csv", "summary.json"):
        return
    spikes = g.read_csv("spike_times.csv", required_columns=("unit_id", "spike_time_s"))
    units = g.read_csv("units.csv", required_columns=("unit_id", "n_spikes", "firing_rate_hz", "isi_violation_rate",
                                                      "response"))
    psth_rows = g.read_csv("psth.csv", required_columns=("unit_id", "bin_start_s", "rate_hz"))
    summary = g.read_json("summary.json")
    if spikes is None or units is None or psth_rows is None or summary is None:
        return
    subs = _submitted_trains(spikes)
    if not g.check("spike times are numbers", subs is not None, gate=True):
        return
    assert subs is not None
    meta = g.reference_json("truth.json")
    with np.load(g.reference("truth.npz")) as npz:
        truth = [npz[f"arr_{k}"] for k in range(meta["n_units"])]
    onsets = np.loadtxt(g.input_dir / "events.csv", delimiter=",", skiprows=1, usecols=1, ndmin=1)

    g.check("number of single units", len(subs) == len(truth), expected=len(truth), found=len(subs))
    pairs, best = _match(truth, subs)
    good = int(np.sum(best >= ACCURACY_MIN))
    g.check(f"sorting accuracy >= {ACCURACY_MIN} per ground-truth unit (spikes within {MATCH_TOL_S * 1000:g} ms of the trough)",
            good / len(truth), weight=8, expected=len(truth), found=[round(float(b), 3) for b in best])
    _grade_units_table(g, units, subs, meta["duration"])
    _grade_psth(g, psth_rows, subs, onsets)
    table = _by_unit(units)
    _grade_responses(g, table, subs, onsets, pairs, best, meta["responses"])
    _grade_peak_channels(g, table, pairs, best, meta["peak_channels"])
    total = sum(len(v) for v in subs.values())
    ok = isinstance(summary, dict) and as_number(summary.get("n_units")) == len(subs) and \
        as_number(summary.get("n_spikes_total")) == total
    g.check("summary.json agrees with the spike table", ok, weight=0.5,
            found={k: summary.get(k) for k in ("n_units", "n_spikes_total")} if isinstance(summary, dict) else None)


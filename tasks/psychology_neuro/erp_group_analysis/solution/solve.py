#!/usr/bin/env python3
"""ERP group analysis with MNE-Python, following the lab's SOP and the pre-registration in the input.

Run as solve.py this is the oracle. The near-miss agents in adversaries/ link here and take the shortcut
their file name says (see SHORTCUTS).
"""

import csv
import json
import math
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mne
import numpy as np
from scipy import stats

mne.set_log_level("ERROR")
IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(__file__).name.removesuffix(".py")
SHORTCUTS = {
    "no_ocular_correction": "blinks left in the data, so the rejection rule takes them out with the trials",
    "no_rejection": "every epoch kept, artefacts and all",
    "textbook_window": "a textbook component window instead of the pre-registered one",
    "wrong_reference": "the other common reference (average for mastoids, mastoids for average)",
    "keep_everyone": "no bad-channel interpolation, and every participant analysed whatever the trial count",
    "no_filter": "the continuous data left unfiltered (the window means barely move)",
    "no_filter_smoothed_average": "the continuous data left unfiltered; only the delivered grand averages are "
                                  "low-passed, so the figure and its data look filtered",
    "low_pass_only": "the continuous data low-passed at 30 Hz but not high-passed at 0.1 Hz",
    "stock_figure": "everything right, but the figure draws textbook-shaped waves instead of the data",
    "peak_latency": "the peak latency of the difference wave in the window instead of its 50% fractional-area latency",
    "window_centre_latency": "no latency measured: every participant gets the centre of the measurement window",
    "no_baseline": "the epochs left without baseline correction (the high-pass keeps them near zero anyway)",
    "baseline_on_plot_only": "the epochs left without baseline correction; only the plotted grand averages are "
                             "baseline-corrected, so the figure and its data look corrected",
    "bads_not_interpolated": "the bad channels marked (so left out of the reference, the rejection and the cluster) "
                             "but never interpolated; their amplitudes read from their own flat or noisy data",
    "noisy_not_interpolated": "the flat channels interpolated, the noisy ones only marked bad (so left out of the "
                              "reference, the rejection and the cluster); their amplitudes read from their own data",
}
UNINTERPOLATED = ("bads_not_interpolated", "noisy_not_interpolated")


def read_plan():
    sop = (IN / "sop.md").read_text()
    prereg = (IN / "preregistration.md").read_text()
    plan = {"linked": "linked mastoids" in sop}
    plan["epoch"] = [float(x) / 1000 for x in re.search(r"(-?\d+) to (-?\d+) ms around", sop).groups()]
    plan["baseline"] = [float(x) / 1000 for x in re.search(r"baseline (-?\d+) to (-?\d+) ms", sop).groups()]
    plan["min_trials"] = int(re.search(r"at least (\d+) accepted", sop).group(1))
    codes = re.findall(r"`(S\s*\d+)` (\w+)", sop)[:2]
    plan["conditions"] = [(f"Stimulus/{code}", name) for code, name in codes]
    window = re.search(r"from\s+(\d+) to (\d+) ms", prereg)
    plan["window"] = [float(window.group(1)) / 1000, float(window.group(2)) / 1000]
    plan["cluster"] = [c.strip() for c in re.search(r"cluster\s+([\w, ]+?)\.", prereg.replace("\n", " ")).group(1).split(",")]
    plan["positive"] = re.search(r"its\s+(positive|negative)\s+part", prereg).group(1) == "positive"
    if MODE == "textbook_window":
        plan["window"] = {0.3: [0.25, 0.40], 0.1: [0.15, 0.30]}.get(round(plan["window"][0], 2), [0.40, 0.60])
    if MODE == "wrong_reference":
        plan["linked"] = not plan["linked"]
    return plan


def robust_sd(x):
    return 1.4826 * np.median(np.abs(x - np.median(x, axis=-1, keepdims=True)), axis=-1)


def preprocess(vhdr, plan):
    raw = mne.io.read_raw_brainvision(vhdr, preload=True)
    raw.set_channel_types({"VEOG": "eog", "HEOG": "eog"})
    raw = mne.add_reference_channels(raw, "M1")
    raw.set_montage("standard_1020")
    if MODE == "low_pass_only":
        raw.filter(None, 30.0, picks=["eeg", "eog"])
    elif MODE not in ("no_filter", "no_filter_smoothed_average"):
        raw.filter(0.1, 30.0, picks=["eeg", "eog"])
    scalp = [c for c in raw.ch_names if c not in ("VEOG", "HEOG", "M1")]
    sd = robust_sd(raw.get_data(picks=scalp)) * 1e6
    bads = [c for c, s in zip(scalp, sd, strict=True) if s < 1.0 or s > 3 * np.median(sd)]
    if MODE != "keep_everyone" and bads:
        raw.info["bads"] = bads
        if MODE == "noisy_not_interpolated":
            noisy = [c for c, s in zip(scalp, sd, strict=True) if c in bads and s >= 1.0]
            raw.info["bads"] = [c for c in bads if c not in noisy]
            raw.interpolate_bads(reset_bads=True)
            raw.info["bads"] = noisy
        elif MODE != "bads_not_interpolated":
            raw.interpolate_bads(reset_bads=True)
    raw.set_eeg_reference(["M1", "M2"] if plan["linked"] else "average")
    if MODE != "no_ocular_correction":
        model = mne.preprocessing.EOGRegression(picks="eeg", picks_artifact="eog").fit(raw)
        raw = model.apply(raw)
    return raw, bads


def epochs_for(raw, plan):
    events, ids = mne.events_from_annotations(raw)
    event_id = {name: ids[code] for code, name in plan["conditions"]}
    reject = None if MODE == "no_rejection" else {"eeg": 100e-6}
    epochs = mne.Epochs(raw, events, event_id, tmin=plan["epoch"][0], tmax=plan["epoch"][1],
                        baseline=None if MODE in ("no_baseline", "baseline_on_plot_only") else tuple(plan["baseline"]),
                        picks=mne.pick_types(raw.info, eeg=True, exclude=[]), reject=reject, preload=True)
    n_events = {name: int(np.sum(events[:, 2] == ids[code])) for code, name in plan["conditions"]}
    return epochs, n_events


def cluster_wave(evoked, plan):
    channels = [c for c in plan["cluster"] if MODE not in UNINTERPOLATED or c not in evoked.info["bads"]]
    return evoked.copy().pick(channels).data.mean(axis=0) * 1e6


def fractional_latency(wave, times, positive):
    if MODE == "peak_latency":
        return float(times[np.argmax(wave if positive else -wave)]) * 1000
    if MODE == "window_centre_latency":
        return float(times[0] + times[-1]) * 500
    signed = np.clip(wave if positive else -wave, 0, None)
    area = np.cumsum(signed)
    if area[-1] <= 0:
        return float("nan")
    return float(times[np.searchsorted(area, 0.5 * area[-1])]) * 1000


def main():
    plan = read_plan()
    (_, control), (_, critical) = plan["conditions"]
    counts, measures, waves, interpolated = [], [], {}, []
    for vhdr in sorted((IN / "eeg").glob("*.vhdr")):
        sid = vhdr.stem
        raw, bads = preprocess(vhdr, plan)
        epochs, n_events = epochs_for(raw, plan)
        kept = {name: len(epochs[name]) for _, name in plan["conditions"]}
        counts += [[sid, name, n_events[name], kept[name]] for _, name in plan["conditions"]]
        included = MODE == "keep_everyone" or min(kept.values()) >= plan["min_trials"]
        reason = "" if included else f"fewer than {plan['min_trials']} accepted epochs ({min(kept.values())})"
        row = {"participant": sid, "included": "yes" if included else "no", "exclusion_reason": reason,
               "interpolated_channels": ";".join(bads) if MODE != "keep_everyone" else ""}
        evokeds = {name: epochs[name].average() for _, name in plan["conditions"]}
        times = evokeds[control].times
        in_window = (times >= plan["window"][0] - 1e-9) & (times <= plan["window"][1] + 1e-9)
        cw, kw = cluster_wave(evokeds[control], plan), cluster_wave(evokeds[critical], plan)
        if MODE != "keep_everyone":
            interpolated += [[sid, ch] + [f"{evokeds[name].copy().pick([ch]).data[0, in_window].mean() * 1e6:.4f}"
                                          for name in (control, critical)] for ch in bads]
        diff = kw - cw
        row |= {f"amp_{control}_uv": cw[in_window].mean(), f"amp_{critical}_uv": kw[in_window].mean(),
                "amp_difference_uv": kw[in_window].mean() - cw[in_window].mean(),
                "latency_ms": fractional_latency(diff[in_window], times[in_window], plan["positive"])}
        measures.append(row)
        waves[sid] = (times, cw, kw, included)
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "trial_counts.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["participant", "condition", "n_events", "n_kept"])
        out.writerows(counts)
    with (OUT / "interpolated_channels.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["participant", "channel", f"amp_{control}_uv", f"amp_{critical}_uv"])
        out.writerows(interpolated)
    columns = ["participant", "included", "exclusion_reason", "interpolated_channels", f"amp_{control}_uv",
               f"amp_{critical}_uv", "amp_difference_uv", "latency_ms"]
    with (OUT / "participant_measures.csv").open("w", newline="") as handle:
        out = csv.DictWriter(handle, columns)
        out.writeheader()
        for row in measures:
            out.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()})
    use = [r for r in measures if r["included"] == "yes"]
    if len(use) < 3:
        use = measures  # too few left for a test: analyse everyone rather than stop (shortcut modes only)
    diffs = np.array([round(r["amp_difference_uv"], 4) for r in use])
    n = len(diffs)
    mean, sd = float(diffs.mean()), float(diffs.std(ddof=1))
    test = stats.ttest_rel([round(r[f"amp_{critical}_uv"], 4) for r in use], [round(r[f"amp_{control}_uv"], 4) for r in use])
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    group = {"test": "two-tailed paired t-test", "n_included": n,
             "excluded": [r["participant"] for r in measures if r["included"] != "yes"],
             f"mean_{control}_uv": float(np.mean([r[f"amp_{control}_uv"] for r in use])),
             f"mean_{critical}_uv": float(np.mean([r[f"amp_{critical}_uv"] for r in use])),
             "mean_difference_uv": mean, "sd_difference_uv": sd, "t": float(test.statistic), "df": n - 1,
             "p": float(test.pvalue), "dz": mean / sd, "ci95_uv": [mean - half, mean + half],
             "mean_latency_ms": float(np.nanmean([r["latency_ms"] for r in use])),
             "window_ms": [plan["window"][0] * 1000, plan["window"][1] * 1000], "cluster": plan["cluster"]}
    (OUT / "group_stats.json").write_text(json.dumps(group, indent=2) + "\n")
    figure({s: w[:3] for s, w in waves.items() if w[3] or len(use) == len(measures)}, plan, control, critical)
    p_text = "p < .001" if group["p"] < 0.001 else f"p = {group['p']:.3f}".replace("0.", ".")
    excluded = ", ".join(group["excluded"]) or "none"
    (OUT / "report.md").write_text(
        f"# Results\n\nAfter preprocessing by the lab SOP, {len(group['excluded'])} participant(s) were excluded "
        f"for too few accepted epochs ({excluded}); {n} entered the analysis. Mean amplitude in the "
        f"{group['window_ms'][0]:.0f}-{group['window_ms'][1]:.0f} ms window at {', '.join(plan['cluster'])} was "
        f"{group[f'mean_{critical}_uv']:.2f} uV for {critical} and {group[f'mean_{control}_uv']:.2f} uV for {control} "
        f"trials. The difference ({critical} minus {control}), M = {mean:.2f} uV, SD = {sd:.2f}, 95% CI "
        f"[{mean - half:.2f}, {mean + half:.2f}], was significant, t({n - 1}) = {group['t']:.2f}, {p_text}, "
        f"dz = {group['dz']:.2f}. The 50% fractional-area latency of the difference wave averaged "
        f"{group['mean_latency_ms']:.0f} ms.\n")


def figure(waves, plan, control, critical):
    times = next(iter(waves.values()))[0] * 1000
    grand_control = np.mean([w[1] for w in waves.values()], axis=0)
    grand_critical = np.mean([w[2] for w in waves.values()], axis=0)
    if MODE == "no_filter_smoothed_average":
        from scipy.signal import butter, filtfilt

        b, a = butter(4, 30.0, fs=1000 / float(np.median(np.diff(times))))
        grand_control, grand_critical = filtfilt(b, a, grand_control), filtfilt(b, a, grand_critical)
    if MODE == "baseline_on_plot_only":
        base = (times >= plan["baseline"][0] * 1000 - 1e-6) & (times <= plan["baseline"][1] * 1000 + 1e-6)
        grand_control, grand_critical = grand_control - grand_control[base].mean(), grand_critical - grand_critical[base].mean()
    drawn_control, drawn_critical = grand_control, grand_critical
    if MODE == "stock_figure":
        drawn_control = 3 * np.sin(2 * np.pi * times / 400) * np.exp(-np.abs(times - 200) / 300)
        drawn_critical = 1.5 * drawn_control
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.axvspan(plan["window"][0] * 1000, plan["window"][1] * 1000, color="0.85", label="measurement window")
    ax.plot(times, drawn_control, label=control, color="tab:blue", lw=2)
    ax.plot(times, drawn_critical, label=critical, color="tab:red", lw=2)
    ax.plot(times, drawn_critical - drawn_control, label="difference", color="black", lw=2, ls="--")
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("amplitude (uV)")
    ax.set_title(f"Grand average (N = {len(waves)}), cluster {', '.join(plan['cluster'])}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(OUT / "grand_average.png")
    np.savetxt(OUT / "grand_average.csv", np.column_stack([times, grand_control, grand_critical,
                                                           grand_critical - grand_control]),
               delimiter=",", fmt="%.4f", comments="", header=f"time_ms,{control}_uv,{critical}_uv,difference_uv")


main()

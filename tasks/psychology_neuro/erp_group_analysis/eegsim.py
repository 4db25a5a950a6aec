"""Simulated EEG experiments whose ERP truth is known by construction.

Every scalp site (the 25 recorded electrodes and M1, the online reference) carries a potential that is the sum
of ERP components (each a Gaussian in time, or for the MMN a skewed one with a fast onset and a slow offset,
times a smooth topography), background EEG (pink noise per site and
a posterior alpha rhythm), slow drifts, mains hum, and the propagated part of blinks and saccades. The recorded
channels are site minus M1. VEOG and HEOG are bipolar eye channels: eye activity and amplifier noise only, no
brain signal, so an ocular regression or ICA cannot remove any part of the ERP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SFREQ = 250.0
RESOLUTION_UV = 0.1

# unit-disk projection of the 10-20 positions: x left to right, y back to front
POSITIONS = {
    "Fp1": (-0.31, 0.95), "Fp2": (0.31, 0.95), "F7": (-0.81, 0.59), "F3": (-0.40, 0.55), "Fz": (0.0, 0.50),
    "F4": (0.40, 0.55), "F8": (0.81, 0.59), "FC1": (-0.20, 0.27), "FC2": (0.20, 0.27), "T7": (-1.0, 0.0),
    "C3": (-0.50, 0.0), "Cz": (0.0, 0.0), "C4": (0.50, 0.0), "T8": (1.0, 0.0), "CP1": (-0.20, -0.27),
    "CP2": (0.20, -0.27), "P7": (-0.81, -0.59), "P3": (-0.40, -0.55), "Pz": (0.0, -0.50), "P4": (0.40, -0.55),
    "P8": (0.81, -0.59), "O1": (-0.31, -0.95), "Oz": (0.0, -1.0), "O2": (0.31, -0.95), "M2": (1.05, -0.45),
    "M1": (-1.05, -0.45),
}
RECORDED = [c for c in POSITIONS if c != "M1"]
SITES = list(POSITIONS)
EOG = ["VEOG", "HEOG"]
XY = np.array([POSITIONS[s] for s in SITES])


@dataclass(frozen=True)
class Paradigm:
    name: str
    conditions: tuple[str, str]          # control, critical
    codes: tuple[int, int]
    trials: tuple[int, int]
    soa: tuple[float, float]
    epoch: tuple[float, float]
    baseline: tuple[float, float]
    reference: str                       # "linked_mastoids" | "average"
    cluster: tuple[str, ...]
    window: tuple[float, float]
    polarity: str                        # expected sign of critical minus control
    min_trials: int
    center: tuple[float, float]
    spread: float
    latency: tuple[float, float]
    width: float
    amplitude: tuple[float, float]       # critical-condition component amplitude range, signed (uV)
    control_share: float                 # share of the component the control condition also carries
    mastoid_inversion: float = 0.0
    extra: dict = field(default_factory=dict)
    # an asymmetric component (fast onset, slow offset): per participant, the rise and decay widths (s) of a
    # two-sided Gaussian peaking at the latency; None keeps the symmetric Gaussian of width ``width``
    rise: tuple[float, float] | None = None
    decay: tuple[float, float] | None = None


PARADIGMS = {
    "oddball_p3b": Paradigm(
        "oddball_p3b", ("standard", "target"), (1, 2), (240, 60), (1.10, 1.30), (-0.2, 0.8), (-0.2, 0.0),
        "linked_mastoids", ("CP1", "CP2", "P3", "Pz", "P4"), (0.30, 0.60), "positive", 40,
        (0.0, -0.40), 0.55, (0.37, 0.47), 0.075, (8.0, 14.0), 0.15),
    "mmn": Paradigm(
        "mmn", ("standard", "deviant"), (1, 2), (480, 100), (0.56, 0.66), (-0.1, 0.4), (-0.1, 0.0),
        "linked_mastoids", ("F3", "Fz", "F4", "FC1", "FC2", "Cz"), (0.10, 0.25), "negative", 60,
        (0.0, 0.35), 0.50, (0.110, 0.180), 0.032, (-6.5, -3.5), 0.0, mastoid_inversion=0.55,
        rise=(0.014, 0.020), decay=(0.055, 0.085)),
    "n400": Paradigm(
        "n400", ("congruent", "incongruent"), (11, 12), (110, 110), (1.30, 1.50), (-0.2, 0.8), (-0.2, 0.0),
        "average", ("C3", "Cz", "C4", "CP1", "CP2", "Pz"), (0.30, 0.50), "negative", 70,
        (0.0, -0.15), 0.60, (0.330, 0.470), 0.075, (-12.0, -7.0), 0.25),
}

# components both conditions carry (latency s, width s, amplitude uV, topography centre, spread)
COMMON = [(0.100, 0.022, -5.0, (0.0, 0.25), 0.6), (0.190, 0.032, 4.0, (0.0, 0.10), 0.6)]
BLINKS_PER_S = 0.45
ARTEFACT_SHARE = 0.06
BAD_TRIALS_ARTEFACT_SHARE = 0.62


def topography(center: tuple[float, float], spread: float, mastoid_inversion: float = 0.0) -> np.ndarray:
    d2 = ((XY - np.array(center)) ** 2).sum(axis=1)
    topo = np.exp(-d2 / (2 * spread**2))
    if mastoid_inversion:
        for mastoid in ("M1", "M2"):
            dm = ((XY - np.array(POSITIONS[mastoid])) ** 2).sum(axis=1)
            topo -= mastoid_inversion * np.exp(-dm / (2 * 0.3**2))
    return topo


def rereference(potentials: np.ndarray, reference: str) -> np.ndarray:
    """Site potentials (sites first) under a reference: linked mastoids or the average of all 26 sites."""
    if reference == "linked_mastoids":
        ref = potentials[[SITES.index("M1"), SITES.index("M2")]].mean(axis=0)
    else:
        ref = potentials.mean(axis=0)
    return potentials - ref


def gaussian(t: np.ndarray, latency: float, width: float) -> np.ndarray:
    return np.exp(-((t - latency) ** 2) / (2 * width**2))


def skewed(t: np.ndarray, latency: float, rise: float, decay: float) -> np.ndarray:
    """A component with a fast onset and a slow offset: a Gaussian of width ``rise`` before its peak and of width
    ``decay`` after it (the MMN's deviance detection outlasts its sharp onset)."""
    return np.exp(-((t - latency) ** 2) / (2 * np.where(t < latency, rise, decay) ** 2))


def component(p: Paradigm, subject: dict, t: np.ndarray) -> np.ndarray:
    """Time course of the paradigm's component for one participant, peak 1."""
    if "rise" in subject:
        return skewed(t, subject["latency"], subject["rise"], subject["decay"])
    return gaussian(t, subject["latency"], p.width)


def draw_shapes(p: Paradigm, rng: np.random.Generator, subjects: list[dict]) -> None:
    """Per participant, the rise and decay widths of an asymmetric component (in place; from its own stream, so
    that every other draw of an instance stays where it was)."""
    if p.rise is None or p.decay is None:
        return
    for subject in subjects:
        subject["rise"] = float(rng.uniform(*p.rise))
        subject["decay"] = float(rng.uniform(*p.decay))


def condition_erp(p: Paradigm, subject: dict, condition: int, t: np.ndarray) -> np.ndarray:
    """Noise-free ERP of one condition at every site (sites x times), in uV, against an ideal reference."""
    erp = np.zeros((len(SITES), len(t)))
    for latency, width, amp, center, spread in COMMON:
        erp += np.outer(topography(center, spread), amp * subject["common_gain"] * gaussian(t, latency, width))
    share = p.control_share if condition == 0 else 1.0
    erp += np.outer(topography(p.center, p.spread, p.mastoid_inversion),
                    share * subject["amplitude"] * component(p, subject, t))
    return erp


def epoch_times(p: Paradigm) -> np.ndarray:
    first = round(p.epoch[0] * SFREQ)
    last = round(p.epoch[1] * SFREQ)
    return np.arange(first, last + 1) / SFREQ


def truth_measures(p: Paradigm, subject: dict) -> dict:
    """The pre-registered measures of the noise-free ERP under the SOP's reference, and the window mean amplitude of
    each condition at each of the participant's bad channels (what their interpolation must recover)."""
    t = epoch_times(p)
    idx = [SITES.index(c) for c in p.cluster]
    in_window = (t >= p.window[0] - 1e-9) & (t <= p.window[1] + 1e-9)
    in_base = (t >= p.baseline[0] - 1e-9) & (t <= p.baseline[1] + 1e-9)
    erps = []
    for condition in (0, 1):
        erp = rereference(condition_erp(p, subject, condition, t), p.reference)
        erps.append(erp - erp[:, in_base].mean(axis=1, keepdims=True))
    waves = [erp[idx].mean(axis=0) for erp in erps]
    diff = waves[1] - waves[0]
    amps = [float(w[in_window].mean()) for w in waves]
    interpolated = {ch: [float(erp[SITES.index(ch), in_window].mean()) for erp in erps] for ch in subject["bad_channels"]}
    return {"amp_control": amps[0], "amp_critical": amps[1], "amp_difference": amps[1] - amps[0],
            "latency_ms": 1000 * fractional_area_latency(diff[in_window], t[in_window], p.polarity),
            "interpolated": interpolated,
            "grand_wave": {"times": t.tolist(), "control": waves[0].tolist(), "critical": waves[1].tolist()}}


def fractional_area_latency(wave: np.ndarray, times: np.ndarray, polarity: str, share: float = 0.5) -> float:
    signed = np.clip(wave if polarity == "positive" else -wave, 0, None)
    cumulative = np.cumsum(signed)
    if cumulative[-1] <= 0:
        return float("nan")
    return float(times[np.searchsorted(cumulative, share * cumulative[-1])])


def pink_noise(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    spectrum = rng.standard_normal((rows, n // 2 + 1)) + 1j * rng.standard_normal((rows, n // 2 + 1))
    freqs = np.fft.rfftfreq(n, 1 / SFREQ)
    shape = np.zeros_like(freqs)
    shape[freqs > 0.5] = 1 / np.sqrt(freqs[freqs > 0.5])
    noise = np.fft.irfft(spectrum * shape, n)
    return noise / noise.std(axis=1, keepdims=True)


def slow_drift(rng: np.random.Generator, rows: int, n: int, amplitude: float) -> np.ndarray:
    spectrum = rng.standard_normal((rows, n // 2 + 1)) + 1j * rng.standard_normal((rows, n // 2 + 1))
    freqs = np.fft.rfftfreq(n, 1 / SFREQ)
    spectrum[:, freqs > 0.05] = 0
    spectrum[:, 0] = 0
    drift = np.fft.irfft(spectrum, n)
    return amplitude * drift / (drift.std(axis=1, keepdims=True) + 1e-12)


def blink_shape(duration: float = 0.36) -> np.ndarray:
    k = np.arange(int(duration * SFREQ))
    return np.sin(np.pi * k / len(k)) ** 2


def simulate_subject(p: Paradigm, rng: np.random.Generator, subject: dict) -> dict:
    """One recording: data (recorded channels + EOG, uV), events (sample, code) and which trials carry an artefact."""
    n_control, n_critical = p.trials
    total = n_control + n_critical
    labels = np.zeros(total, dtype=int)
    if p.name == "n400":
        labels[rng.permutation(total)[:n_critical]] = 1
    else:  # rare trials never back to back, and never among the first three
        slots = np.sort(rng.choice(total - 3 - n_critical + 1, size=n_critical, replace=False))
        labels[3 + slots + np.arange(n_critical)] = 1
    soas = rng.uniform(*p.soa, size=len(labels))
    onsets_s = 3.0 + np.concatenate([[0.0], np.cumsum(soas[:-1])])
    duration = onsets_s[-1] + 3.0
    n = int(duration * SFREQ)
    onsets = np.round(onsets_s * SFREQ).astype(int)
    t_epoch = np.arange(int(-0.3 * SFREQ), int(1.0 * SFREQ)) / SFREQ
    sites = np.zeros((len(SITES), n))
    erps = [condition_erp(p, subject, c, t_epoch) for c in (0, 1)]
    start = round(-0.3 * SFREQ)
    for onset, label in zip(onsets, labels, strict=True):
        gain = max(0.4, 1 + 0.15 * rng.standard_normal())
        sites[:, onset + start:onset + start + len(t_epoch)] += gain * erps[label]
    # background EEG
    sites += subject["noise_uv"] * pink_noise(rng, len(SITES), n)
    alpha_t = np.arange(n) / SFREQ
    envelope = 0.5 + np.abs(slow_drift(rng, 1, n, 1.0)[0])
    alpha = subject["alpha_uv"] * envelope * np.sin(2 * np.pi * subject["alpha_hz"] * alpha_t + rng.uniform(0, 6.3))
    sites += np.outer(topography((0.0, -0.85), 0.5), alpha)
    sites += slow_drift(rng, len(SITES), n, 10.0)
    sites += np.outer(rng.uniform(3, 9, len(SITES)), np.sin(2 * np.pi * 50.0 * alpha_t))
    # eye activity: blinks and a few saccades
    veog = np.zeros(n)
    heog = np.zeros(n)
    shape = blink_shape()
    # blinks at random times, not locked to the stimuli: a stimulus-locked blink correlates with the ERP, and an
    # ocular regression fitted on such data would take part of the ERP with it, differently for each method
    blink_onsets = rng.integers(0, n - len(shape), size=int(duration * BLINKS_PER_S))
    for b in blink_onsets:
        if b + len(shape) < n:
            veog[b:b + len(shape)] += rng.uniform(100, 190) * shape
    for s in rng.integers(0, n - 200, size=int(duration * 0.04)):
        heog[s:s + int(rng.uniform(0.3, 0.8) * SFREQ)] += rng.choice([-1, 1]) * rng.uniform(20, 45)
    y, x = XY[:, 1], XY[:, 0]
    blink_weight = 0.9 * np.exp(-((0.95 - y) ** 2) / (2 * 0.35**2))
    saccade_weight = 0.35 * x * np.exp(-((0.6 - y) ** 2) / (2 * 0.4**2))
    sites += np.outer(blink_weight, veog) + np.outer(saccade_weight, heog)
    recorded = sites[:-1] - sites[-1]  # SITES ends with M1, the online reference
    # artefacts (pops and movement bursts) inside one trial's epoch; never on a bad channel
    artefact = np.zeros(len(labels), dtype=bool)
    burst = np.sin(2 * np.pi * np.arange(int(0.2 * SFREQ)) / (0.2 * SFREQ)) * np.hanning(int(0.2 * SFREQ))
    candidates = [i for i, c in enumerate(RECORDED) if c not in subject["bad_channels"] and c != "M2"]
    for k, onset in enumerate(onsets):
        if rng.random() < subject["artefact_share"]:
            artefact[k] = True
            where = onset + int(rng.uniform(p.epoch[0] + 0.02, p.epoch[1] - 0.22) * SFREQ)
            for ch in rng.choice(candidates, size=rng.integers(1, 3), replace=False):
                recorded[ch, where:where + len(burst)] += rng.choice([-1, 1]) * rng.uniform(160, 320) * burst
    for ch, kind in subject["bad_channels"].items():
        i = RECORDED.index(ch)
        if kind == "flat":
            recorded[i] = 0.15 * rng.standard_normal(n)
        else:
            recorded[i] = 45 * rng.standard_normal(n) + slow_drift(rng, 1, n, 120.0)[0]
    eog = np.vstack([veog + 2.0 * rng.standard_normal(n), heog + 2.0 * rng.standard_normal(n)])
    data = np.vstack([recorded, eog])
    return {"data": data, "onsets": onsets, "labels": labels, "artefact": artefact}


def add_mains_pickup(data: np.ndarray, rng: np.random.Generator, bad_channels: dict[str, str]) -> None:
    """Strong 50 Hz pickup on a few high-impedance scalp electrodes (in place; never on a bad channel): the
    SOP's 30 Hz low-pass removes it from the continuous data, but left in, it lifts every epoch of those
    channels over the rejection limit and their robust SD over the noisy-channel criterion."""
    candidates = [i for i, c in enumerate(RECORDED) if c not in bad_channels and c != "M2"]
    t = np.arange(data.shape[1]) / SFREQ
    for i in rng.choice(candidates, size=int(rng.integers(2, 5)), replace=False):
        data[i] += rng.uniform(55, 80) * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi))


def add_electrode_drift(data: np.ndarray, rng: np.random.Generator, bad_channels: dict[str, str]) -> None:
    """Electrode polarisation: a slow ramp of a few hundred uV over the recording on a few scalp electrodes (in
    place; never on a bad channel). The SOP's 0.1 Hz high-pass takes it out; without it those channels' robust
    SD passes the noisy-channel criterion."""
    candidates = [i for i, c in enumerate(RECORDED) if c not in bad_channels and c != "M2"]
    ramp = np.linspace(-0.5, 0.5, data.shape[1])
    for i in rng.choice(candidates, size=int(rng.integers(2, 4)), replace=False):
        data[i] += rng.choice([-1, 1]) * rng.uniform(250, 400) * ramp


def draw_subjects(p: Paradigm, rng: np.random.Generator, count: int) -> list[dict]:
    """Participants with their true parameters; one has too many artefacts, one a flat channel, one a noisy one."""
    ids = [f"sub-{i + 1:02d}" for i in range(count)]
    roles = rng.permutation(count)
    bad_trials, flat, noisy = ids[roles[0]], ids[roles[1]], ids[roles[2]]
    non_cluster = [c for c in RECORDED if c not in p.cluster and c not in ("M2", "Fp1", "Fp2")]
    flat_channel, noisy_channel = rng.choice(non_cluster, size=2, replace=False)
    subjects = []
    for sid in ids:
        bad = {}
        if sid == flat:
            bad[str(flat_channel)] = "flat"
        if sid == noisy:
            bad[str(noisy_channel)] = "noisy"
        subjects.append({
            "id": sid, "amplitude": float(rng.uniform(*p.amplitude)), "latency": float(rng.uniform(*p.latency)),
            "common_gain": float(rng.uniform(0.7, 1.3)), "noise_uv": float(rng.uniform(2.0, 3.0)),
            "alpha_uv": float(rng.uniform(2.0, 5.0)), "alpha_hz": float(rng.uniform(9.0, 11.5)),
            "artefact_share": BAD_TRIALS_ARTEFACT_SHARE if sid == bad_trials else ARTEFACT_SHARE,
            "bad_channels": bad,
        })
    return subjects


def large_erp_sites(p: Paradigm, share: float = 0.9) -> list[str]:
    """The cluster electrodes where the paradigm's component reaches ``share`` of its largest value in the cluster."""
    topo = topography(p.center, p.spread, p.mastoid_inversion)
    weights = {c: float(topo[SITES.index(c)]) for c in p.cluster}
    return [c for c, w in weights.items() if w >= share * max(weights.values())]


def place_bad_channel(p: Paradigm, rng: np.random.Generator, subjects: list[dict], kind: str) -> None:
    """Moves the bad channel of ``kind`` ("flat" or "noisy") onto a cluster electrode with a large component (in
    place; from its own stream, so that every other draw of an instance stays where it was). A flat or noisy
    electrode keeps none of its ERP: only its interpolation recovers it."""
    site = str(rng.choice(large_erp_sites(p)))
    for subject in subjects:
        subject["bad_channels"] = {site if this == kind else ch: this for ch, this in subject["bad_channels"].items()}


def write_brainvision(stem: Path, data: np.ndarray, markers: list[tuple[str, str, int]], note: str) -> None:
    """BrainVision triplet: INT_16 multiplexed at RESOLUTION_UV, markers (type, description, 0-based sample)."""
    names = RECORDED + EOG
    ints = np.clip(np.round(data / RESOLUTION_UV), -32768, 32767).astype("<i2")
    stem.with_suffix(".eeg").write_bytes(ints.T.tobytes())
    channels = "\n".join(f"Ch{i + 1}={name},,{RESOLUTION_UV},µV" for i, name in enumerate(names))
    stem.with_suffix(".vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n"
        f"; {note}\n\n[Common Infos]\nCodepage=UTF-8\nDataFile={stem.name}.eeg\nMarkerFile={stem.name}.vmrk\n"
        "DataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
        f"NumberOfChannels={len(names)}\nSamplingInterval={int(1e6 / SFREQ)}\n\n"
        "[Binary Infos]\nBinaryFormat=INT_16\n\n"
        "[Channel Infos]\n; Ch<n>=<name>,<reference>,<resolution>,<unit>\n" + channels + "\n\n"
        "[Comment]\nScalp channels recorded against M1 (left mastoid, not stored); ground AFz. "
        "VEOG (above/below right eye) and HEOG (outer canthi) are bipolar.\n", encoding="utf-8")
    lines = ["Mk1=New Segment,,1,1,0,20261203100000000000"]
    for k, (kind, description, sample) in enumerate(markers, start=2):
        lines.append(f"Mk{k}={kind},{description},{sample + 1},1,0")
    stem.with_suffix(".vmrk").write_text(
        "Brain Vision Data Exchange Marker File Version 1.0\n\n[Common Infos]\nCodepage=UTF-8\n"
        f"DataFile={stem.name}.eeg\n\n[Marker Infos]\n; Mk<n>=<type>,<description>,<position>,<points>,<channel>\n"
        + "\n".join(lines) + "\n", encoding="utf-8")


def marker_code(code: int) -> str:
    return f"S{code:3d}"

"""Synthesise one screening plate: two-channel 16-bit fields, the calibration frames and the truth.

Run by ``task.generate`` under the task's tool environment (tifffile writes the TIFFs):

    python3 synth.py SPEC_JSON INPUT_DIR TRUTH_JSON

SPEC_JSON holds the plate (wells with their S-phase/damage fraction and density), the camera and the seed.
The camera model: raw = dark + flat * signal + shot/read noise, clipped to the bit depth; ``flat`` has mean 1.
The truth lists every nucleus with its visible centroid and area (pixels), whether it touches the field
edge, and its marker intensity: the mean over its true mask of the noise-free, clipped, offset-subtracted and
flat-corrected marker minus the marker background, i.e. what a correct pipeline measures without noise.
Debris specks and out-of-focus blobs are drawn too but are not nuclei.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage

SIZE = 512
CONTROL_TAIL_SHARE = 0.05
CONTROL_TAIL_LEVEL = 2.5


def flat_field(rng: np.random.Generator, strength: float) -> np.ndarray:
    """Vignetting: a radial fall-off with an off-centre optical axis and a slight tilt; mean 1."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    cy, cx = SIZE / 2 + rng.uniform(-40, 40), SIZE / 2 + rng.uniform(-40, 40)
    r2 = ((yy - cy) ** 2 + (xx - cx) ** 2) / (SIZE / 2) ** 2
    flat = (1 - strength * r2 / 2) * (1 + rng.uniform(-0.06, 0.06) * (xx - SIZE / 2) / SIZE)
    return flat / flat.mean()


def place_nuclei(rng: np.random.Generator, count: int, cluster_share: float, mitotic_share: float) -> list[dict]:
    """Ellipses (cx, cy, a, b, angle) that may be cut by the field edge; clusters of 2-3 touch and overlap."""
    nuclei: list[dict] = []

    def shape(mitotic: bool) -> dict:
        r = rng.uniform(6.6, 7.6) if mitotic else rng.uniform(7.6, 10.6)
        ratio = rng.uniform(1.0, 1.12) if mitotic else rng.uniform(1.0, 1.3)
        return {"a": r * np.sqrt(ratio), "b": r / np.sqrt(ratio), "angle": rng.uniform(0, np.pi), "mitotic": mitotic}

    def free(cx: float, cy: float, r: float) -> bool:
        return all(np.hypot(cx - n["cx"], cy - n["cy"]) > r + max(n["a"], n["b"]) + 3 for n in nuclei)

    tries = 0
    while len(nuclei) < count and tries < count * 60:
        tries += 1
        first = shape(rng.random() < mitotic_share)
        cx, cy = rng.uniform(-6, SIZE + 6), rng.uniform(-6, SIZE + 6)
        size = 1 if rng.random() > cluster_share else int(rng.choice([2, 2, 3]))
        group = [{**first, "cx": cx, "cy": cy}]
        for _ in range(size - 1):
            anchor = group[int(rng.integers(len(group)))]
            nxt = shape(False)
            dist = rng.uniform(1.5, 1.8) * (max(anchor["a"], anchor["b"]) + max(nxt["a"], nxt["b"])) / 2
            theta = rng.uniform(0, 2 * np.pi)
            cand = {**nxt, "cx": anchor["cx"] + dist * np.cos(theta), "cy": anchor["cy"] + dist * np.sin(theta)}
            if all(np.hypot(cand["cx"] - g["cx"], cand["cy"] - g["cy"]) > 1.3 * max(g["a"], g["b"]) for g in group):
                group.append(cand)
        if all(free(g["cx"], g["cy"], max(g["a"], g["b"])) for g in group):
            start = len(nuclei)
            nuclei.extend({**g, "cluster": start} for g in group)
    return nuclei


def ellipse_distance(n: dict, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    dx, dy = xx - n["cx"], yy - n["cy"]
    c, s = np.cos(n["angle"]), np.sin(n["angle"])
    u, v = dx * c + dy * s, -dx * s + dy * c
    return np.sqrt((u / n["a"]) ** 2 + (v / n["b"]) ** 2)


def label_image(nuclei: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """True masks (a pixel inside several ellipses goes to the one it is deepest in) and the ellipse distance."""
    labels = np.zeros((SIZE, SIZE), np.int32)
    depth = np.full((SIZE, SIZE), np.inf)
    for index, n in enumerate(nuclei, start=1):
        r = int(np.ceil(max(n["a"], n["b"]))) + 1
        y0, y1 = max(0, int(n["cy"]) - r), min(SIZE, int(n["cy"]) + r + 2)
        x0, x1 = max(0, int(n["cx"]) - r), min(SIZE, int(n["cx"]) + r + 2)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        d = ellipse_distance(n, yy, xx)
        win = (d <= 1.0) & (d < depth[y0:y1, x0:x1])
        labels[y0:y1, x0:x1][win] = index
        depth[y0:y1, x0:x1][win] = d[win]
    return labels, np.where(labels > 0, depth, 1.0)


def disk_mask(cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def amplifier_glow(spec: dict) -> np.ndarray:
    """The dark frame's amplifier glow: a bright corner (twice a negative nucleus's marker level) fading over
    about 300 px, which only subtracting the dark frame removes (a field's one background level cannot). Drawn
    from its own stream, so the rest of the instance does not move."""
    rng = np.random.default_rng([spec["seed"], 7])
    corner_y, corner_x = rng.integers(0, 2, 2) * (SIZE - 1)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    distance = np.hypot(yy - corner_y, xx - corner_x)
    return 2.0 * spec["camera"]["marker_neg"] * np.exp(-distance / rng.uniform(250, 320))


def camera(rng: np.random.Generator, dark: np.ndarray, flat: np.ndarray, signal: np.ndarray, sat: int,
           gain: float) -> tuple[np.ndarray, np.ndarray]:
    """The recorded frame and its noise-free clipped counterpart."""
    clean = dark + flat * signal
    noisy = clean + rng.normal(0, 1, clean.shape) * np.sqrt(np.maximum(flat * signal, 0) * gain + 2.5 ** 2)
    return np.clip(np.rint(noisy), 0, sat).astype(np.uint16), np.minimum(clean, sat)


def field(rng: np.random.Generator, spec: dict, well: dict, dark: np.ndarray, flats: list[np.ndarray],
          tail: np.random.Generator) -> tuple:
    """One field's frames and true nuclei. With ``spec["control_tail"]``, a share of the negative-control nuclei
    (chosen from ``tail``, a stream of its own, so the rest of the plate does not move) carry a raised marker
    background: a tail that sets the control rules apart (mean + 3 SD rises with it, median + 5 MAD hardly)."""
    cam = spec["camera"]
    raised = spec.get("control_tail") and well["role"] == "negative_control"
    nuclei = place_nuclei(rng, int(rng.poisson(spec["nuclei_per_field"] * well["density"])), spec["cluster_share"],
                          spec["mitotic_share"])
    labels, depth = label_image(nuclei)
    # a nucleus is a flattened ellipsoid: brighter in the middle; pressed neighbours leave a dim seam
    profile = 0.55 + 0.45 * np.sqrt(np.clip(1 - depth**2, 0, 1))
    seam = np.zeros_like(labels, bool)
    for axis in (0, 1):
        a, b = labels, np.roll(labels, 1, axis=axis)
        seam |= (a > 0) & (b > 0) & (a != b)
    profile = np.where(seam, profile * 0.5, profile)
    dapi_level, marker_level = np.zeros(len(nuclei) + 1), np.zeros(len(nuclei) + 1)
    for index, n in enumerate(nuclei, start=1):
        g2 = rng.random() < 0.35
        dapi_level[index] = cam["dapi"] * (2.4 if n["mitotic"] else 1.45 if g2 else 1.0) * rng.lognormal(0, 0.12)
        positive = rng.random() < well["positive_share"]
        level = cam["marker_pos"] if positive else cam["marker_neg"]
        if raised and not positive and tail.random() < CONTROL_TAIL_SHARE:
            level *= CONTROL_TAIL_LEVEL
        marker_level[index] = level * rng.lognormal(0, 0.35 if positive else 0.22)
    texture = 1 + 0.12 * ndimage.gaussian_filter(rng.normal(0, 1, (SIZE, SIZE)), 1.5) / 0.19
    dapi = dapi_level[labels] * texture * profile
    marker = marker_level[labels] * (1 + 0.1 * (texture - 1))
    # debris: tiny bright specks; out-of-focus nuclei: large soft discs. Both kept away from nuclei.
    occupied = ndimage.binary_dilation(labels > 0, iterations=6)
    extras = np.zeros((SIZE, SIZE))
    extras_marker = np.zeros((SIZE, SIZE))
    for kind, count in (("blob", rng.poisson(spec["blobs_per_field"])), ("debris", rng.poisson(spec["debris_per_field"]))):
        for _ in range(int(count)):
            for _ in range(50):
                r = rng.uniform(22, 30) if kind == "blob" else rng.uniform(1.4, 2.6)
                cx, cy = rng.uniform(r + 4, SIZE - r - 4), rng.uniform(r + 4, SIZE - r - 4)
                mask = disk_mask(cx, cy, r + 6)
                if not (occupied & mask).any():
                    core = disk_mask(cx, cy, r)
                    if kind == "blob":
                        extras += ndimage.gaussian_filter(core * cam["dapi"] * 0.8, 4.0)
                        extras_marker += ndimage.gaussian_filter(core * cam["marker_neg"] * 0.6, 4.0)
                    else:
                        extras += core * cam["dapi"] * rng.uniform(1.5, 3.0)
                        extras_marker += core * cam["marker_pos"] * rng.uniform(0.2, 0.8)
                    occupied |= mask
                    break
    dapi_signal = ndimage.gaussian_filter(dapi, 0.9) + extras + cam["dapi_bg"]
    marker_signal = ndimage.gaussian_filter(marker, 0.9) + extras_marker + cam["marker_bg"]
    raw_dapi, _ = camera(rng, dark, flats[0], dapi_signal, cam["sat"], cam["gain"])
    raw_marker, clean_marker = camera(rng, dark, flats[1], marker_signal, cam["sat"], cam["gain"])
    corrected = (clean_marker - dark) / flats[1] - cam["marker_bg"]
    truth = []
    index_of = ndimage.value_indices(labels, ignore_value=0)
    for _, pixels in sorted(index_of.items()):
        ys, xs = pixels
        truth.append({
            "x": float(xs.mean()), "y": float(ys.mean()), "area_px": len(xs),
            "border": bool(xs.min() == 0 or ys.min() == 0 or xs.max() == SIZE - 1 or ys.max() == SIZE - 1),
            "marker": float(corrected[ys, xs].mean()), "saturated": bool((clean_marker[ys, xs] >= cam["sat"]).any()),
        })
    return raw_dapi, raw_marker, truth


def write_tiff(path: Path, image: np.ndarray, description: str) -> None:
    tifffile.imwrite(path, image, compression="zlib", description=description, metadata=None,
                     resolution=(1e4 / 0.65, 1e4 / 0.65), resolutionunit="CENTIMETER")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    out, truth_path = Path(sys.argv[2]), Path(sys.argv[3])
    rng = np.random.default_rng(spec["seed"])
    tail = np.random.default_rng([spec["seed"], 11])
    cam = spec["camera"]
    dark = cam["offset"] + np.tile(rng.normal(0, 1.5, SIZE), (SIZE, 1)) + rng.normal(0, 0.8, (SIZE, SIZE))
    dark += amplifier_glow(spec)
    flats = [flat_field(rng, cam["vignetting"]), flat_field(rng, cam["vignetting"] * 1.1)]
    (out / "calibration").mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    write_tiff(out / "calibration" / "dark.tif", np.rint(dark).astype(np.uint16),
               "mean of 64 dark frames, same exposure settings as the plate")
    for channel, flat in enumerate(flats, start=1):
        level = cam["flat_level"]
        frame = dark + flat * level + rng.normal(0, 1, flat.shape) * np.sqrt(flat * level * cam["gain"] / 64)
        write_tiff(out / "calibration" / f"flat_w{channel}.tif", np.clip(np.rint(frame), 0, cam["sat"]).astype(np.uint16),
                   f"mean of 64 frames of a uniform fluorescent slide, channel w{channel}")
    truth: list[dict] = []
    for well in spec["wells"]:
        for f in range(1, spec["fields"] + 1):
            raw_dapi, raw_marker, nuclei = field(rng, spec, well, dark, flats, tail)
            for channel, image in ((1, raw_dapi), (2, raw_marker)):
                name = f"{spec['plate']}_{well['well']}_s{f}_w{channel}.tif"
                write_tiff(out / "images" / name, image,
                           f"plate={spec['plate']} well={well['well']} site={f} wavelength=w{channel} "
                           f"bit_depth={spec['bit_depth']} pixel_size_um=0.65")
            truth.extend({"well": well["well"], "field": f, **n} for n in nuclei)
    truth_path.write_text(json.dumps(truth))


if __name__ == "__main__":
    main()

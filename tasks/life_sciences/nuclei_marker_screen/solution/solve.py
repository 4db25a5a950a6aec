#!/usr/bin/env python3
"""Oracle for life_sciences/nuclei_marker_screen: flat-field correction, Otsu + watershed, SOP rules.

Run as solve.py it follows the SOP. Run through a link in adversaries/ it takes the one shortcut its name says:
- no_split: connected components of the Otsu mask, touching nuclei left merged (no watershed);
- no_flatfield: raw frames segmented and measured without dark subtraction or flat-field correction;
- no_dark_frame: the dark frame's median subtracted in place of the dark frame (its glow left in);
- no_size_filter: every segmented object counted, debris and out-of-focus cells included;
- control_free_threshold: the positivity threshold by Otsu over all nuclei of the plate, not the controls;
- edge_rule_ignored: the SOP's rule for nuclei cut by the field edge applied the other way round;
- wrong_threshold_rule: the other plate type's threshold rule (median + 5 MAD for mean + 3 SD and back).

ALE-CANARY-d01121f3-9216-48c3-b821-e8ece1ffc28e
"""

import csv
import json
import os
import re
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage import feature, filters, measure, segmentation

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
SHORTCUT = Path(__file__).name.removesuffix(".py")
PIXEL_UM2 = 0.65**2


def read_sop() -> dict:
    text = (IN / "SOP.md").read_text()
    low, high = (float(v) for v in re.search(r"area ([\d.]+)-([\d.]+) um2", text).groups())
    keep_edges = "cut by the edge of the field are kept" in text
    if SHORTCUT == "edge_rule_ignored":
        keep_edges = not keep_edges
    rule = "mean_3sd" if "mean + 3 x SD" in text else "median_5mad"
    if SHORTCUT == "wrong_threshold_rule":
        rule = "median_5mad" if rule == "mean_3sd" else "mean_3sd"
    return {"low": low, "high": high, "keep_edges": keep_edges, "rule": rule}


def correction() -> tuple[np.ndarray, list[np.ndarray]]:
    dark = tifffile.imread(IN / "calibration" / "dark.tif").astype(float)
    if SHORTCUT == "no_dark_frame":  # the camera offset taken as one number, the dark frame itself unused
        dark = np.full_like(dark, np.median(dark))
    flats = []
    for channel in (1, 2):
        flat = tifffile.imread(IN / "calibration" / f"flat_w{channel}.tif").astype(float) - dark
        flats.append(flat / flat.mean())
    return dark, flats


def segment(dapi: np.ndarray) -> np.ndarray:
    """Labels of the objects in the nuclear channel: Otsu mask, touching nuclei split by a watershed on the
    distance to the background weighted by the stain (the dim seam between pressed nuclei deepens the split)."""
    smooth = filters.gaussian(dapi, sigma=1.0, preserve_range=True)
    mask = ndi.binary_fill_holes(smooth > filters.threshold_otsu(smooth))
    if SHORTCUT == "no_split":
        return measure.label(mask)
    weighted = ndi.distance_transform_edt(mask) * smooth / np.percentile(smooth[mask], 90)
    weighted = filters.gaussian(weighted, sigma=1.0, preserve_range=True)
    peaks = feature.peak_local_max(weighted, min_distance=5, threshold_abs=1.5, labels=measure.label(mask),
                                   exclude_border=False)
    markers = np.zeros(mask.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    labels = segmentation.watershed(-weighted, markers, mask=mask)
    # objects without a peak (thin debris) keep a label of their own
    rest = measure.label(mask & (labels == 0))
    return np.where(rest > 0, rest + labels.max(), labels)


def analyse_field(dapi: np.ndarray, marker: np.ndarray, sop: dict) -> list[dict]:
    labels = segment(dapi)
    background = float(np.median(marker[labels == 0]))
    height, width = labels.shape
    nuclei = []
    for region in measure.regionprops(labels, intensity_image=marker):
        area = region.area * PIXEL_UM2
        r0, c0, r1, c1 = region.bbox
        edge = r0 == 0 or c0 == 0 or r1 == height or c1 == width
        if SHORTCUT != "no_size_filter" and not sop["low"] <= area <= sop["high"]:
            continue
        if edge and not sop["keep_edges"]:
            continue
        y, x = region.centroid
        nuclei.append({"x_px": round(x, 2), "y_px": round(y, 2), "area_um2": round(area, 2),
                       "marker_intensity": float(region.intensity_mean) - background})
    return nuclei


def threshold(values: np.ndarray, rule: str) -> float:
    if rule == "mean_3sd":
        return float(values.mean() + 3 * values.std(ddof=1))
    median = float(np.median(values))
    return median + 5 * float(np.median(np.abs(values - median)))


def main() -> None:
    sop = read_sop()
    dark, flats = correction()
    with open(IN / "plate_map.csv", newline="") as handle:
        plate = list(csv.DictReader(handle))
    nuclei = []
    for well in plate:
        fields = sorted(IN.glob(f"images/*_{well['well']}_s*_w1.tif"))
        for path in fields:
            site = int(re.search(r"_s(\d+)_w1", path.name).group(1))
            raw = [tifffile.imread(path).astype(float),
                   tifffile.imread(path.with_name(path.name.replace("_w1.", "_w2."))).astype(float)]
            if SHORTCUT == "no_flatfield":
                dapi, marker = raw
            else:
                dapi, marker = ((image - dark) / flat for image, flat in zip(raw, flats, strict=True))
            nuclei += [{"well": well["well"], "field": site, **n} for n in analyse_field(dapi, marker, sop)]

    negatives = {w["well"] for w in plate if w["role"] == "negative_control"}
    control = np.array([n["marker_intensity"] for n in nuclei if n["well"] in negatives])
    if SHORTCUT == "control_free_threshold":
        cut = float(filters.threshold_otsu(np.array([n["marker_intensity"] for n in nuclei])))
    else:
        cut = threshold(control, sop["rule"])
    for n in nuclei:
        n["positive"] = int(n["marker_intensity"] > cut)
        n["marker_intensity"] = round(n["marker_intensity"], 3)

    with open(OUT / "nuclei.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["well", "field", "x_px", "y_px", "area_um2", "marker_intensity",
                                                    "positive"])
        writer.writeheader()
        writer.writerows(nuclei)
    with open(OUT / "well_summary.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["well", "treatment", "role", "nuclei_count", "positive_count", "percent_positive",
                         "mean_marker_intensity"])
        for well in plate:
            mine = [n for n in nuclei if n["well"] == well["well"]]
            positive = sum(n["positive"] for n in mine)
            writer.writerow([well["well"], well["treatment"], well["role"], len(mine), positive,
                             round(100 * positive / len(mine), 3) if mine else 0,
                             round(float(np.mean([n["marker_intensity"] for n in mine])), 3) if mine else 0])
    (OUT / "threshold.json").write_text(json.dumps(
        {"marker_threshold": round(cut, 3), "negative_control_nuclei": len(control),
         "rule": sop["rule"], "negative_control_wells": sorted(negatives)}, indent=2) + "\n")


if __name__ == "__main__":
    main()

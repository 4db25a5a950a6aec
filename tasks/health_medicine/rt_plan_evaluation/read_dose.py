"""Re-read a submitted RTDOSE with pydicom (run by the grader in a sandbox): writes dose.npy (Gy) and meta.json."""

import json
import sys

import numpy as np
import pydicom

ds = pydicom.dcmread(sys.argv[1])
meta = {"modality": str(ds.get("Modality", "")), "units": str(ds.get("DoseUnits", "")), "type": str(ds.get("DoseType", "")),
        "summation": str(ds.get("DoseSummationType", "")), "frame_uid": str(ds.get("FrameOfReferenceUID", "")),
        "origin": [float(v) for v in ds.ImagePositionPatient], "pixel_spacing": [float(v) for v in ds.PixelSpacing],
        "orientation": [float(v) for v in ds.ImageOrientationPatient],
        "rows": int(ds.Rows), "columns": int(ds.Columns), "offsets": [float(v) for v in ds.GridFrameOffsetVector]}
pixels = ds.pixel_array.astype(np.float64)
if pixels.ndim == 2:
    pixels = pixels[np.newaxis]
np.save("dose.npy", pixels * float(ds.DoseGridScaling))
with open("meta.json", "w") as handle:
    json.dump(meta, handle)

#!/usr/bin/env python3
"""Plausible fabrication: every file copied with pydicom, Patient's Name and ID replaced by the research ID and
the de-identification flags set, but UIDs, dates, staff, private block and sequences left as exported; the
Bundle and the log written from that copy, the log claiming the profile's usual actions."""

import csv
import json
import os
from pathlib import Path

import pydicom

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])


def main():
    key = {r["mrn"]: r["research_id"] for r in csv.DictReader((IN / "pseudonym_map.csv").open())}
    (OUT / "dicom").mkdir(parents=True, exist_ok=True)
    rows, series = [], {}
    for n, path in enumerate(sorted((IN / "DICOM").rglob("IM*"))):
        ds = pydicom.dcmread(str(path))
        ds.PatientName = ds.PatientID = key[str(ds.PatientID)]
        ds.PatientIdentityRemoved = "YES"
        ds.DeidentificationMethod = "Basic Profile"
        name = f"dicom/{n:04d}.dcm"
        ds.save_as(str(OUT / name))
        source = str(path.relative_to(IN))
        rows += [[source, name, "(0010,0010)", "PatientName", "D"], [source, name, "(0010,0020)", "PatientID", "D"],
                 [source, name, "(0008,0080)", "InstitutionName", "X"], [source, name, "(0020,000D)", "StudyInstanceUID", "U"]]
        series.setdefault((ds.StudyInstanceUID, ds.PatientID), {}).setdefault(ds.SeriesInstanceUID, []).append(ds)
    with (OUT / "audit_log.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["source_file", "output_file", "tag", "keyword", "action"], *rows])
    entries = [{"resource": {
        "resourceType": "ImagingStudy", "status": "available", "subject": {"identifier": {"value": str(rid)}},
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}],
        "numberOfSeries": len(by_series), "numberOfInstances": sum(len(s) for s in by_series.values()),
        "series": [{"uid": s, "number": int(d[0].SeriesNumber), "modality": {"code": str(d[0].Modality)},
                    "instance": [{"uid": str(x.SOPInstanceUID), "sopClass": {"code": f"urn:oid:{x.SOPClassUID}"}}
                                 for x in d]} for s, d in by_series.items()]}}
        for (uid, rid), by_series in series.items()]
    (OUT / "imaging_study.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                                        "entry": entries}))


if __name__ == "__main__":
    main()

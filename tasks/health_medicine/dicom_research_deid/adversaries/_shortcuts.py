#!/usr/bin/env python3
"""Near-miss de-identifications with pydicom, chosen by the name this script is staged under. Each writes the
three deliverables in the right shape; each cuts one corner a hurried analyst cuts:

- top_level_only: blanks the usual top-level patient, staff and institution attributes, but leaves the private
  block, the nested sequences and the free-text descriptions as exported;
- random_uids: a full scrub, but every UID gets a fresh generate_uid() wherever it is met, file by file;
- drop_dates: a full scrub, but the dates are deleted instead of shifted by the patient's offset;
- keep_burned_in: a full scrub of every file, the burned-in secondary captures released with the rest;
- deflated_unscrubbed: pseudonyms, dates, UIDs and the private block done, but the staff, institution and
  nested identifiers and the free-text descriptions left as exported, the files written in the Deflated
  Explicit VR Little Endian transfer syntax (so the identifiers are not visible in the raw bytes);
- identifying_names: a full scrub, but the per-patient working folders, named after the PACS patient (MRN and
  name), are left behind empty under dicom/;
- export_backup_left: a full scrub, but the raw PACS export is left beside the release in the output folder as a
  gzip'd tar (the analyst's working backup), so no byte search of the files sees the identifiers in it.

ALE-CANARY-6cb0551e-5e42-4170-b222-9939ee80477d
"""

import copy
import csv
import datetime as dt
import json
import os
import re
import sys
import tarfile
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(sys.argv[0]).stem
BLANK = ["InstitutionName", "InstitutionAddress", "StationName", "InstitutionalDepartmentName",
         "PerformingPhysicianName", "OperatorsName", "OtherPatientIDs", "PatientAddress", "PatientTelephoneNumbers",
         "DeviceSerialNumber", "RequestingPhysician", "PerformedProcedureStepID", "IssuerOfPatientID"]
EMPTY = ["AccessionNumber", "ReferringPhysicianName", "StudyID", "PatientBirthDate"]
UID_WORDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID", "ReferencedSOPInstanceUID")
SCRUB_SEQUENCES = ["OtherPatientIDsSequence", "RequestAttributesSequence"]

uid_map: dict[str, str] = {}


def remap(uid: str) -> str:
    if MODE == "random_uids":
        return generate_uid()
    return uid_map.setdefault(uid, generate_uid(prefix="2.25.", entropy_srcs=["adv", uid]))


def shifted(value: str, days: int) -> str:
    return (dt.datetime.strptime(value[:8], "%Y%m%d") + dt.timedelta(days=days)).strftime("%Y%m%d") + value[8:]


def scrub(ds, rid: str, days: int, names: list[str]) -> None:
    for keyword in [] if MODE == "deflated_unscrubbed" else BLANK:
        if keyword in ds:
            delattr(ds, keyword)
    for keyword in EMPTY:
        if keyword in ds:
            setattr(ds, keyword, "")
    ds.PatientName = ds.PatientID = rid
    if MODE == "deflated_unscrubbed":
        ds.remove_private_tags()
    elif MODE != "top_level_only":
        ds.remove_private_tags()
        for keyword in [*SCRUB_SEQUENCES, "PerformedProcedureStepDescription", "ImageComments"]:
            if keyword in ds:
                delattr(ds, keyword)
        for keyword in ("StudyDescription", "SeriesDescription"):
            text = str(ds.get(keyword, ""))
            for name in names:
                text = re.sub(rf"\b{re.escape(name)}\b", "", text, flags=re.I)
            ds[keyword].value = re.sub(r"\s+", " ", re.sub(r"(?i)\b(per dr|ref|tech)\b|[()^-]", " ", text)).strip()

    def visit(dataset, element):
        if element.keyword in UID_WORDS and element.value:
            element.value = remap(str(element.value))
        elif element.VR in ("DA", "DT") and element.value and element.keyword != "PatientBirthDate":
            if MODE == "drop_dates":
                element.value = ""
            else:
                element.value = shifted(str(element.value), days)

    if MODE == "top_level_only":
        for element in list(ds):
            if element.VR != "SQ":
                visit(ds, element)
        for item in ds.get("ReferencedImageSequence", []):
            item.ReferencedSOPInstanceUID = remap(item.ReferencedSOPInstanceUID)
    else:
        ds.walk(visit)
    if MODE == "drop_dates":
        for element in [e for e in ds if e.VR in ("DA", "DT")]:
            del ds[element.tag]
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "PS3.15 Basic Profile"
    codes = []
    for code, meaning in (("113100", "Basic Application Confidentiality Profile"), ("113105", "Clean Descriptors Option"),
                          ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
                          ("113108", "Retain Patient Characteristics Option")):
        item = pydicom.Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
        codes.append(item)
    ds.DeidentificationMethodCodeSequence = codes
    ds.LongitudinalTemporalInformationModified = "MODIFIED"


def main() -> None:
    key = {r["mrn"]: r for r in csv.DictReader((IN / "pseudonym_map.csv").open())}
    log, studies = [], {}
    sources = sorted(p for p in (IN / "DICOM").rglob("IM*"))
    names = set()
    for path in sources:
        ds = pydicom.dcmread(str(path))
        for keyword in ("PatientName", "ReferringPhysicianName", "OperatorsName", "PerformingPhysicianName"):
            names.update(p for p in re.split(r"[\^ ]", str(ds.get(keyword, ""))) if len(p) > 2)
    for n, path in enumerate(sources):
        source = str(path.relative_to(IN))
        ds = pydicom.dcmread(str(path))
        if MODE != "keep_burned_in" and ds.get("BurnedInAnnotation") == "YES":
            log.append([source, "", "(0028,0301)", "BurnedInAnnotation", "EXCLUDED"])
            continue
        before = {e.tag: (e.keyword, e.value) for e in copy.deepcopy(ds)}
        if MODE == "identifying_names":
            (OUT / "dicom" / f"{ds.PatientID}_{str(ds.PatientName).replace('^', '_')}").mkdir(exist_ok=True)
        row = key[str(ds.PatientID)]
        scrub(ds, row["research_id"], int(row["date_offset_days"]), sorted(names))
        name = f"dicom/{n:04d}.dcm"
        if MODE == "deflated_unscrubbed":
            ds.file_meta.TransferSyntaxUID = pydicom.uid.DeflatedExplicitVRLittleEndian
            ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(str(OUT / name), write_like_original=False)
        for tag, (keyword, value) in before.items():
            after = ds.get(tag)
            action = "X" if after is None else "Z" if after.value in ("", None) and value else \
                "U" if after.VR in ("UI", "SQ") and after.value != value else "C" if after.value != value else None
            if action:
                log.append([source, name, f"({tag.group:04X},{tag.element:04X})", keyword, action])
        studies.setdefault(ds.StudyInstanceUID, []).append(ds)
    with (OUT / "audit_log.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["source_file", "output_file", "tag", "keyword", "action"], *log])
    (OUT / "imaging_study.json").write_text(json.dumps(fhir(studies)))
    if MODE == "export_backup_left":
        with tarfile.open(OUT / "pacs_export_backup.tar.gz", "w:gz") as archive:
            archive.add(IN / "DICOM", arcname="DICOM")


def fhir(studies: dict) -> dict:
    dcm = "http://dicom.nema.org/resources/ontology/DCM"
    entries, seen = [], set()
    for uid, items in studies.items():
        rid = str(items[0].PatientID)
        if rid not in seen:
            seen.add(rid)
            entries.append({"fullUrl": f"Patient/{rid}", "resource": {"resourceType": "Patient", "id": rid,
                                                                      "identifier": [{"value": rid}]}})
        series = {}
        for ds in items:
            series.setdefault(ds.SeriesInstanceUID, []).append(ds)
        date, time = str(items[0].get("StudyDate", "")), str(items[0].StudyTime)
        entries.append({"resource": {
            "resourceType": "ImagingStudy", "status": "available", "subject": {"reference": f"Patient/{rid}"},
            "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{uid}"}],
            "started": f"{date[:4]}-{date[4:6]}-{date[6:]}T{time[:2]}:{time[2:4]}:{time[4:6]}" if date else None,
            "modality": [{"system": dcm, "code": m} for m in sorted({str(d.Modality) for d in items})],
            "numberOfSeries": len(series), "numberOfInstances": len(items),
            "series": [{"uid": s, "number": int(d[0].SeriesNumber), "modality": {"system": dcm, "code": str(d[0].Modality)},
                        "numberOfInstances": len(d),
                        "instance": [{"uid": str(x.SOPInstanceUID), "number": int(x.InstanceNumber),
                                      "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{x.SOPClassUID}"}}
                                     for x in d]} for s, d in series.items()]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


if __name__ == "__main__":
    (OUT / "dicom").mkdir(parents=True, exist_ok=True)
    main()

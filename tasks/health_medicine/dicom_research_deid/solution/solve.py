#!/usr/bin/env python3
"""Oracle: de-identify the PACS export with pydicom per PS3.15 (Basic Profile, Retain Longitudinal Temporal
Information with Modified Dates, Retain Patient Characteristics, Clean Descriptors) and the site's rules;
write the released files, a FHIR R4 ImagingStudy Bundle and the attribute audit log.
ALE-CANARY-6cb0551e-5e42-4170-b222-9939ee80477d
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import uuid
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])

REMOVE = {  # X in PS3.15 Table E.1-1 for the Basic Profile, not retained by the chosen options
    0x00080080, 0x00080081, 0x00081010, 0x00081040, 0x00081050, 0x00081060, 0x00081070, 0x00100021, 0x00101000,
    0x00101001, 0x00101002, 0x00101040, 0x00102154, 0x00104000, 0x00181000, 0x00321032, 0x00400253, 0x00400275,
    0x00380010, 0x00400242, 0x00400243, 0x00081110, 0x00081120, 0x00321033, 0x00321060, 0x00081048, 0x00081049,
}
EMPTY = {0x00080050, 0x00080090, 0x00200010, 0x00100030}  # Z: Type 2, kept present and empty
PSEUDONYM = {0x00100010, 0x00100020}  # replaced by the research ID (site rule 1)
CLEAN = {0x00081030, 0x0008103E, 0x00204000, 0x00400254, 0x00181030}  # C under Clean Descriptors
UIDS = {0x0020000D, 0x0020000E, 0x00080018, 0x00200052, 0x00081155, 0x00020003, 0x00880140, 0x30060024}
OPTIONS = [("113100", "Basic Application Confidentiality Profile"),
           ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
           ("113108", "Retain Patient Characteristics Option"),
           ("113105", "Clean Descriptors Option")]


def new_uid(original: str) -> str:
    """The release's UID for an original UID: a 2.25 (UUID-derived) UID from a keyed hash, so the same
    original always gets the same new UID."""
    digest = hashlib.sha256(b"RIR-7 release key|" + original.encode()).digest()[:16]
    return f"2.25.{int.from_bytes(digest, 'big') >> 1}"


def shift_date(value: str, offset: int) -> str:
    day = dt.datetime.strptime(value[:8], "%Y%m%d").date() + dt.timedelta(days=offset)
    return day.strftime("%Y%m%d") + value[8:]


def identifying_words(datasets: list[Dataset]) -> set[str]:
    """Every name part and identifier the export carries, to strip from free-text descriptors."""
    words: set[str] = set()

    def collect(ds: Dataset) -> None:
        for element in ds:
            if element.VR == "SQ":
                for item in element.value:
                    collect(item)
            elif element.VR == "PN" and element.value:
                words.update(p for p in re.split(r"[\^= ]+", str(element.value)) if len(p) > 1)
            elif element.tag in (0x00100020, 0x00101000, 0x00080050, 0x00200010, 0x00400009, 0x00401001, 0x00400253):
                words.update(str(v) for v in ([element.value] if isinstance(element.value, str) else element.value) if v)

    for ds in datasets:
        collect(ds)
    return words


def clean_text(text: str, words: set[str]) -> str:
    pattern = r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b"
    text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(per Dr|Dr|REF|tech|for|by|MRN|checked|ordered)\b\.?", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"[\^,;()]+|\s-\s", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def deidentify(ds: Dataset, research_id: str, offset: int, words: set[str], top: bool) -> dict[int, str]:
    """Apply the profile in place (recursing into sequences); return the action letter per top-level tag."""
    actions: dict[int, str] = {}
    for element in list(ds):
        tag = int(element.tag)
        if element.tag.is_private or tag in REMOVE:
            del ds[element.tag]
            actions[tag] = "X"
        elif tag in EMPTY:
            element.value = ""
            actions[tag] = "Z"
        elif tag in PSEUDONYM and top:
            element.value = research_id
            actions[tag] = "D"
        elif tag in UIDS:
            element.value = new_uid(str(element.value))
            actions[tag] = "U"
        elif element.VR in ("DA", "DT") and element.value:
            element.value = shift_date(str(element.value), offset)
            actions[tag] = "C"
        elif tag in CLEAN and element.value:
            cleaned = clean_text(str(element.value), words)
            if cleaned != str(element.value):
                element.value = cleaned
                actions[tag] = "C"
        elif element.VR == "SQ":
            changed = [deidentify(item, research_id, offset, words, False) for item in element.value]
            if any(changed):
                actions[tag] = "U" if all(set(c.values()) <= {"U"} for c in changed) else "C"
    return actions


def mark(ds: Dataset) -> None:
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = ["DICOM PS3.15 E.1 Basic Application Confidentiality Profile",
                                 "Retain Longitudinal Temporal Information Modified Dates",
                                 "Retain Patient Characteristics", "Clean Descriptors", "Site policy RIR-7"]
    items = []
    for code, meaning in OPTIONS:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = "MODIFIED"


def main() -> None:
    keys = {row["mrn"]: row for row in csv.DictReader((IN / "pseudonym_map.csv").open())}
    paths = sorted(p for p in (IN / "DICOM").rglob("*") if p.is_file())
    originals = {p: pydicom.dcmread(str(p)) for p in paths}
    words = identifying_words(list(originals.values()))
    log: list[list[str]] = []
    released: dict[str, list[Dataset]] = {}
    patients: dict[str, Dataset] = {}
    for path, ds in originals.items():
        source = str(path.relative_to(IN))
        if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
            log.append([source, "", "(0028,0301)", "BurnedInAnnotation", "EXCLUDED"])
            continue
        key = keys[str(ds.PatientID)]
        research_id, offset = key["research_id"], int(key["date_offset_days"])
        before = {int(e.tag): e.keyword for e in ds}
        actions = deidentify(ds, research_id, offset, words, True)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        mark(ds)
        study = released.setdefault(ds.StudyInstanceUID, [])
        target = (f"dicom/{research_id}/ST{list(released).index(ds.StudyInstanceUID) + 1:02d}/"
                  f"SE{int(ds.SeriesNumber):03d}/IM{int(ds.InstanceNumber):04d}.dcm")
        (OUT / target).parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(str(OUT / target), write_like_original=False)
        study.append(ds)
        patients[research_id] = ds
        for tag, action in sorted(actions.items()):
            log.append([source, target, f"({tag >> 16:04X},{tag & 0xFFFF:04X})", before.get(tag, ""), action])
    with (OUT / "audit_log.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_file", "output_file", "tag", "keyword", "action"])
        writer.writerows(log)
    (OUT / "imaging_study.json").write_text(json.dumps(bundle(released, patients), indent=1))


def bundle(released: dict[str, list[Dataset]], patients: dict[str, Dataset]) -> dict:
    """A FHIR R4 collection Bundle: one Patient per pseudonym, one ImagingStudy per released study."""
    patient_urls = {rid: f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, rid)}" for rid in patients}
    entries = [{"fullUrl": url, "resource": {
        "resourceType": "Patient", "id": rid.lower(),
        "identifier": [{"system": "urn:oid:1.3.6.1.4.1.58231.9.7", "value": rid}],
        "gender": {"M": "male", "F": "female"}.get(str(patients[rid].PatientSex), "unknown")}}
        for rid, url in patient_urls.items()]
    dcm = "http://dicom.nema.org/resources/ontology/DCM"
    for study_uid, instances in released.items():
        first = instances[0]
        series: dict[str, list[Dataset]] = {}
        for ds in sorted(instances, key=lambda d: (int(d.SeriesNumber), int(d.InstanceNumber))):
            series.setdefault(ds.SeriesInstanceUID, []).append(ds)
        time = str(first.StudyTime)
        started = (f"{dt.datetime.strptime(str(first.StudyDate), '%Y%m%d').date().isoformat()}"
                   f"T{time[:2]}:{time[2:4]}:{time[4:6]}")
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_OID, study_uid)}", "resource": {
            "resourceType": "ImagingStudy", "status": "available",
            "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"}],
            "subject": {"reference": patient_urls[str(first.PatientID)]},
            "started": started, "description": str(first.get("StudyDescription", "")),
            "modality": [{"system": dcm, "code": m} for m in sorted({str(d.Modality) for d in instances})],
            "numberOfSeries": len(series), "numberOfInstances": len(instances),
            "series": [{
                "uid": uid, "number": int(items[0].SeriesNumber),
                "modality": {"system": dcm, "code": str(items[0].Modality)},
                "description": str(items[0].get("SeriesDescription", "")), "numberOfInstances": len(items),
                "instance": [{"uid": str(d.SOPInstanceUID), "number": int(d.InstanceNumber),
                              "sopClass": {"system": "urn:ietf:rfc:3986", "code": f"urn:oid:{d.SOPClassUID}"}}
                             for d in items]} for uid, items in series.items()]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


if __name__ == "__main__":
    main()

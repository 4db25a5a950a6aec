"""De-identification of a PACS export for a research data share (clinical informatics).

Workflow: the imaging informatics analyst receives a PACS export (one or more studies, each with a
localizer, image series and a burned-in secondary capture) together with the honest broker's pseudonym
map and the site's release policy. They apply the DICOM PS3.15 Basic Application Level Confidentiality
Profile with the Retain Longitudinal Temporal Information with Modified Dates, Retain Patient
Characteristics and Clean Descriptors options; pseudonymise, shift dates per patient, remap UIDs
consistently (references included), purge PHI from private blocks and nested sequences, withhold the
images with burned-in annotation, then describe the release as a FHIR R4 ImagingStudy Bundle and log
every attribute action.

Generation writes the export with the task's own Part 10 writer (``dicom_writer``) and records in the
reference every identifying string of the export, each patient's pseudonym and offset, the clinical
phrases of the descriptions and the burned-in files.

Grade: every output file and every input file is dumped by pydicom in a tool sandbox (``dump_dicom.py``);
released files are matched to their originals by the SHA-256 of their pixel data. Checks: the release
set (burned-in withheld, nothing lost or altered), a search of every output file for every identifying
string (its name and every folder's, its bytes, a deflated data set inflated, a JSON file's decoded values and every value
pydicom decodes from it; nothing beside the three deliverables may be written), private attributes gone, pseudonyms and the de-identification markers, exact date
shifts, one consistent UID map (references and file meta included), attributes the profile keeps,
Type 2 attributes present, cleaned descriptors that keep their clinical content, the FHIR Bundle's R4
structure and its agreement with the files, and the audit log against what really changed.
"""
# ALE-CANARY-6cb0551e-5e42-4170-b222-9939ee80477d

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

from lastexam.task import Grading, Params, Verdict

from . import export

TASK_DIR = Path(__file__).parent
DATE_TAGS = {"00080012": "InstanceCreationDate", "00080020": "StudyDate", "00080021": "SeriesDate",
             "00080022": "AcquisitionDate", "00080023": "ContentDate", "0008002A": "AcquisitionDateTime"}
RETAINED_DATES = {"00080020", "00080021", "00080022", "00080023"}  # the option keeps these; the others may go
UID_TAGS = {"0020000D": "StudyInstanceUID", "0020000E": "SeriesInstanceUID", "00080018": "SOPInstanceUID",
            "00200052": "FrameOfReferenceUID"}
KEPT = {  # attributes the profile and its options keep: (tag, keyword)
    "00080008": "ImageType", "00080016": "SOPClassUID", "00080030": "StudyTime", "00080031": "SeriesTime",
    "00080033": "ContentTime", "00080060": "Modality", "00080070": "Manufacturer", "00100040": "PatientSex",
    "00101010": "PatientAge", "00101020": "PatientSize", "00101030": "PatientWeight", "00180015": "BodyPartExamined",
    "00180050": "SliceThickness", "00180060": "KVP", "00200011": "SeriesNumber", "00200013": "InstanceNumber",
    "00200032": "ImagePositionPatient", "00200037": "ImageOrientationPatient", "00280002": "SamplesPerPixel",
    "00280004": "PhotometricInterpretation", "00280010": "Rows", "00280011": "Columns", "00280030": "PixelSpacing",
    "00280100": "BitsAllocated", "00280101": "BitsStored", "00280102": "HighBit", "00280103": "PixelRepresentation",
    "00280301": "BurnedInAnnotation", "00281050": "WindowCenter", "00281051": "WindowWidth",
    "00281052": "RescaleIntercept", "00281053": "RescaleSlope",
}
TYPE2 = {"00100010": "PatientName", "00100020": "PatientID", "00100030": "PatientBirthDate", "00100040": "PatientSex",
         "00080020": "StudyDate", "00080030": "StudyTime", "00080090": "ReferringPhysicianName",
         "00200010": "StudyID", "00080050": "AccessionNumber"}
UID_SYNTAX = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$")
DCM = "http://dicom.nema.org/resources/ontology/DCM"
BUNDLE_TYPES = {"document", "message", "transaction", "transaction-response", "batch", "batch-response",
                "history", "searchset", "collection"}
STUDY_STATUS = {"registered", "available", "cancelled", "entered-in-error", "unknown"}
DEFLATED = b"1.2.840.10008.1.2.1.99"
ACTIONS = {"X", "Z", "D", "C", "U", "K", "EXCLUDED"}
RELEASE_FILES = {"imaging_study.json", "audit_log.csv"}


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    export.build(params, input_dir, reference_dir)


# ---------------------------------------------------------------------------------------------
# the dumps
# ---------------------------------------------------------------------------------------------


def _top(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["tag"]: element for element in dump.get("elements", [])}


def _walk(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for element in elements:
        found.append(element)
        if element["vr"] == "SQ" and isinstance(element["value"], list):
            for item in element["value"]:
                found += _walk(item)
    return found


def _value(top: dict[str, dict[str, Any]], tag: str) -> str | None:
    element = top.get(tag)
    return None if element is None or isinstance(element["value"], list) else str(element["value"])


def _shift(value: str, offset: int) -> str:
    day = dt.datetime.strptime(value[:8], "%Y%m%d").date() + dt.timedelta(days=offset)
    return day.strftime("%Y%m%d") + value[8:]


def _normal(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "").upper()).strip()


def _dump(g: Grading, outputs: list[Path]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Dump the output and input DICOM files with pydicom in a tool sandbox: (outputs, inputs) keyed by their
    path relative to output/ and input/."""
    files: dict[str, Path | str | bytes] = {"dump_dicom.py": TASK_DIR / "dump_dicom.py"}
    files.update({f"out/{p.relative_to(g.output_dir)}": p for p in outputs})
    files.update({f"in/{p.relative_to(g.input_dir)}": p for p in sorted((g.input_dir / "DICOM").rglob("*"))
                  if p.is_file()})
    result = g.run_tool(["python3", "dump_dicom.py", "out", "in"], files, timeout=90, memory_mb=2048)
    dump_path = result.workdir / "dump.json"
    if not result.ok or not dump_path.is_file():
        g.check("output files read by pydicom", False, gate=True, reason=f"dump failed: {result.stderr[-300:]}")
        return None
    dump = json.loads(dump_path.read_text())
    return ({k[4:]: v for k, v in dump.items() if k.startswith("out/")},
            {k[3:]: v for k, v in dump.items() if k.startswith("in/")})


# ---------------------------------------------------------------------------------------------
# grade
# ---------------------------------------------------------------------------------------------


def grade(g: Grading) -> None:
    if not g.require_files("imaging_study.json", "audit_log.csv"):
        return
    ref = g.reference_json("reference.json")
    dicom_dir = g.output("dicom")
    outputs = sorted(p for p in dicom_dir.rglob("*") if p.is_file()) if dicom_dir.is_dir() else []
    if not g.check("released DICOM files present", bool(outputs), gate=True, expected="files under dicom/",
                   found=len(outputs)):
        return
    dumps = _dump(g, outputs)
    if dumps is None:
        return
    out_dumps, in_dumps = dumps
    unreadable = [f"{name}: {d['error']}" for name, d in out_dumps.items() if "error" in d]
    if not g.check("every file under dicom/ is a readable DICOM file", not unreadable, gate=True,
                   reason="; ".join(unreadable[:4])):
        return
    matched = _release_set(g, ref, out_dumps, in_dumps)
    _no_phi(g, ref, out_dumps)
    _private_removed(g, out_dumps)
    _pseudonyms(g, ref, matched, out_dumps)
    _dates(g, ref, matched, out_dumps, in_dumps)
    uid_map = _uids(g, matched, out_dumps, in_dumps)
    _kept(g, matched, out_dumps, in_dumps)
    _descriptors(g, ref, matched, out_dumps)
    _fhir(g, ref, matched, out_dumps, in_dumps, uid_map)
    _audit(g, ref, matched, out_dumps, in_dumps)


def _release_set(g: Grading, ref: dict[str, Any], out_dumps: dict[str, Any], in_dumps: dict[str, Any]) -> dict[str, str]:
    """Match released files to originals by pixel data; record the release-set check. Returns output -> original."""
    by_pixels = {d["pixel_sha256"]: name for name, d in in_dumps.items() if d.get("pixel_sha256")}
    matched: dict[str, str] = {}
    verdicts: dict[str, Verdict] = {}
    for name, d in out_dumps.items():
        original = by_pixels.get(d.get("pixel_sha256"))
        if original is None:
            verdicts[name] = "pixel data altered or not from the export"
        elif ref["files"][original]["burned_in"]:
            verdicts[name] = f"burned-in image {original} released"
        elif original in matched.values():
            verdicts[name] = f"{original} released twice"
        else:
            matched[name] = original
    for original, info in ref["files"].items():
        if not info["burned_in"]:
            verdicts[original] = True if original in matched.values() else "not released"
    g.fraction("release set: every eligible image once, pixels untouched, burned-in withheld", verdicts, weight=2,
               noun="files")
    return matched


def _inflated(data: bytes) -> bytes:
    """The data set of a Part 10 file in the Deflated Explicit VR Little Endian transfer syntax, inflated
    (so a byte search sees what the file carries); empty for any other file."""
    if data[128:132] != b"DICM":
        return b""
    end = 132
    while data[end:end + 2] == b"\x02\x00" and end + 8 <= len(data):  # the explicit-VR file meta group
        if data[end + 4:end + 6] in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN"):
            end += 12 + int.from_bytes(data[end + 8:end + 12], "little")
        else:
            end += 8 + int.from_bytes(data[end + 6:end + 8], "little")
    if DEFLATED not in data[132:end]:
        return b""
    try:
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data[end:], 1 << 26)
    except zlib.error:
        return b""


def _decoded_text(dump: dict[str, Any]) -> bytes:
    """Every value pydicom decoded from a file (file meta, nested items), whatever its character set."""
    values = [str(v) for v in dump.get("meta", {}).values()]
    values += [str(e["value"]) for e in _walk(dump.get("elements", [])) if not isinstance(e["value"], list)
               and not str(e["value"]).startswith("sha256:")]
    return "\n".join(values).upper().encode("latin-1", "replace")


def _json_text(raw: bytes) -> bytes:
    """A JSON file's values as they decode (so an escaped character hides nothing); empty for any other file."""
    try:
        return json.dumps(json.loads(raw.decode("utf-8")), ensure_ascii=False).encode("latin-1", "replace")
    except (UnicodeDecodeError, ValueError, RecursionError):
        return b""


def _in_release(name: str, is_file: bool) -> bool:
    """Whether an output path is part of the release: dicom/ and what it holds, the Bundle and the log."""
    return name == "dicom" or name.startswith("dicom/") or (is_file and name in RELEASE_FILES)


def _no_phi(g: Grading, ref: dict[str, Any], out_dumps: dict[str, Any]) -> None:
    """Every output file's and folder's name, every file's bytes, a deflated data set inflated, a JSON file's
    decoded values, and the values pydicom decodes from a DICOM file. The output folder is the release: a
    file or folder beside the three deliverables (a backup, an archive, an encoded copy) leaves with it."""
    tokens = [t.upper().encode("latin-1") for t in ref["phi_tokens"]]
    verdicts: dict[str, Verdict] = {}
    for path in sorted(g.output_dir.rglob("*")):
        name = str(path.relative_to(g.output_dir))
        if not _in_release(name, path.is_file()):
            verdicts[name] = "not part of the release (only dicom/, imaging_study.json and audit_log.csv may be written)"
            continue
        raw = path.read_bytes() if path.is_file() else b""
        data = b"\n".join((name.encode("latin-1", "replace"), raw, _inflated(raw), _json_text(raw),
                           _decoded_text(out_dumps.get(name, {})))).upper()
        hits = [t.decode("latin-1") for t in tokens if t in data]
        verdicts[name] = True if not hits else "contains " + ", ".join(hits[:4])
    g.fraction("no identifying value of the export survives in any output file or name (byte search)", verdicts,
               weight=3, noun="paths")


def _private_removed(g: Grading, out_dumps: dict[str, Any]) -> None:
    verdicts: dict[str, Verdict] = {}
    for name, d in out_dumps.items():
        private = sorted({e["tag"] for e in _walk(d["elements"]) if int(e["tag"][:4], 16) % 2 == 1})
        verdicts[name] = True if not private else "private " + ", ".join(private[:3])
    g.fraction("no private attribute released, nested ones included", verdicts, noun="files")


def _pseudonyms(g: Grading, ref: dict[str, Any], matched: dict[str, str], out_dumps: dict[str, Any]) -> None:
    want_codes = set(ref["option_codes"])
    verdicts: dict[str, Verdict] = {}
    for name, original in matched.items():
        top = _top(out_dumps[name])
        rid = ref["patients"][ref["files"][original]["patient"]]["research_id"]
        codes = {(_value(_top({"elements": item}), "00080100"), _value(_top({"elements": item}), "00080102"))
                 for item in (top.get("00120064") or {}).get("value") or [] if isinstance(item, list)}
        problems = [
            *(f"{kw} {_value(top, tag)!r} is not {rid}" for tag, kw in (("00100010", "PatientName"),
                                                                       ("00100020", "PatientID"))
              if _value(top, tag) != rid),
            *(["PatientBirthDate not released empty"] if _value(top, "00100030") != "" else []),
            *(["PatientIdentityRemoved is not YES"] if _normal(_value(top, "00120062")) != "YES" else []),
            *(["DeidentificationMethod empty"] if not _value(top, "00120063") else []),
            *(["DeidentificationMethodCodeSequence is not the profile and its three options (DCM)"]
              if {c for c, s in codes if s == "DCM"} != want_codes or len(codes) != len(want_codes) else []),
            *(["LongitudinalTemporalInformationModified is not MODIFIED"]
              if _normal(_value(top, "00280303")) != "MODIFIED" else []),
        ]
        verdicts[name] = "; ".join(problems) or True
    g.fraction("pseudonym from the key file and PS3.15 de-identification markers", verdicts, weight=2, noun="files")


def _dates(g: Grading, ref: dict[str, Any], matched: dict[str, str], out_dumps: dict[str, Any],
           in_dumps: dict[str, Any]) -> None:
    verdicts: dict[str, Verdict] = {}
    for name, original in matched.items():
        offset = ref["patients"][ref["files"][original]["patient"]]["offset_days"]
        before, after = _top(in_dumps[original]), _top(out_dumps[name])
        problems = []
        for tag, keyword in DATE_TAGS.items():
            if (value := _value(before, tag)) and (tag in RETAINED_DATES or tag in after) \
                    and _value(after, tag) != _shift(value, offset):
                problems.append(f"{keyword} {_value(after, tag)!r}, expected {_shift(value, offset)}")
        verdicts[name] = "; ".join(problems) or True
    g.fraction("dates moved by the patient's offset, exactly", verdicts, weight=2, noun="files")


def _uids(g: Grading, matched: dict[str, str], out_dumps: dict[str, Any], in_dumps: dict[str, Any]) -> dict[str, str]:
    """Record the UID-map check; return the map (original -> new) as released."""
    pairs: dict[str, set[str]] = defaultdict(set)
    problems: list[str] = []
    for name, original in matched.items():
        before, after = _top(in_dumps[original]), _top(out_dumps[name])
        for tag, keyword in UID_TAGS.items():
            if (old := _value(before, tag)) is not None:
                if not (new := _value(after, tag)):
                    problems.append(f"{name}: {keyword} missing")
                    continue
                pairs[old].add(new)
        if out_dumps[name]["meta"].get("00020003") != _value(after, "00080018"):
            problems.append(f"{name}: MediaStorageSOPInstanceUID differs from SOPInstanceUID")
        old_refs = [_value(_top({"elements": item}), "00081155") for item in (before.get("00081140") or {}).get("value") or []]
        new_refs = [_value(_top({"elements": item}), "00081155") for item in (after.get("00081140") or {}).get("value") or []
                    if isinstance(item, list)]
        if len(old_refs) != len(new_refs):
            problems.append(f"{name}: Referenced Image Sequence not kept")
        for old, new in zip(old_refs, new_refs, strict=False):
            if old and new:
                pairs[old].add(new)
    reverse: dict[str, set[str]] = defaultdict(set)
    for old, news in pairs.items():
        if len(news) > 1:
            problems.append(f"{old} became {len(news)} different UIDs")
        for new in news:
            reverse[new].add(old)
            if new == old or new in pairs:
                problems.append(f"original UID {new} released")
            elif len(new) > 64 or not UID_SYNTAX.match(new):
                problems.append(f"{new!r} is not a valid UID")
    problems += [f"{new} stands for {len(olds)} original UIDs" for new, olds in reverse.items() if len(olds) > 1]
    g.check("one consistent UID map: every study, series, instance, frame and reference UID", not problems, weight=2,
            expected="each original UID -> one new valid UID, one-to-one",
            found=f"{len(pairs)} UIDs mapped", reason="; ".join(problems[:5]))
    return {old: next(iter(news)) for old, news in pairs.items() if len(news) == 1}


def _kept(g: Grading, matched: dict[str, str], out_dumps: dict[str, Any], in_dumps: dict[str, Any]) -> None:
    kept: dict[str, Verdict] = {}
    present: dict[str, Verdict] = {}
    for name, original in matched.items():
        before, after = _top(in_dumps[original]), _top(out_dumps[name])
        lost = [kw for tag, kw in KEPT.items() if tag in before and _value(after, tag) != _value(before, tag)]
        kept[name] = "changed or removed: " + ", ".join(lost[:5]) if lost else True
        missing = [kw for tag, kw in TYPE2.items() if tag in before and tag not in after]
        present[name] = "missing: " + ", ".join(missing) if missing else True
    g.fraction("attributes the profile and its options keep are unchanged", kept, weight=2, noun="files")
    g.fraction("Type 2 attributes still present", present, noun="files")


def _descriptors(g: Grading, ref: dict[str, Any], matched: dict[str, str], out_dumps: dict[str, Any]) -> None:
    verdicts: dict[str, Verdict] = {}
    for name, original in matched.items():
        top = _top(out_dumps[name])
        lost = [kw for kw, phrase in ref["files"][original]["clinical"].items()
                if _normal(phrase) not in _normal(_value(top, "00081030" if kw == "StudyDescription" else "0008103E"))]
        verdicts[name] = "clinical content lost: " + ", ".join(lost) if lost else True
    g.fraction("study and series descriptions cleaned, clinical content kept", verdicts, noun="files")


# ---------------------------------------------------------------------------------------------
# FHIR
# ---------------------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _coding(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("code"), str) and "coding" not in value


def _r4_problems(bundle: Any) -> list[str]:
    """Structural problems of a FHIR R4 Bundle of ImagingStudy (and Patient) resources."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ["not a Bundle resource"]
    problems = [] if bundle.get("type") in BUNDLE_TYPES else [f"Bundle.type {bundle.get('type')!r}"]
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        return [*problems, "Bundle.entry missing"]
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            problems.append(f"entry {index} has no resource")
        elif resource["resourceType"] == "ImagingStudy":
            where = f"ImagingStudy {index}"
            if resource.get("status") not in STUDY_STATUS:
                problems.append(f"{where}: status {resource.get('status')!r}")
            if not isinstance(resource.get("subject"), dict):
                problems.append(f"{where}: subject (1..1) missing")
            if not all(_coding(m) for m in _list(resource.get("modality"))):
                problems.append(f"{where}: modality must be a list of Coding (R4)")
            if not isinstance(resource.get("series"), list):
                problems.append(f"{where}: series list missing")
            for series in _list(resource.get("series")):
                if not isinstance(series, dict) or not isinstance(series.get("uid"), str) or not _coding(series.get("modality")):
                    problems.append(f"{where}: series needs uid and a Coding modality (R4)")
                    continue
                for instance in _list(series.get("instance")):
                    if not isinstance(instance, dict) or not isinstance(instance.get("uid"), str) \
                            or not _coding(instance.get("sopClass")):
                        problems.append(f"{where}: instance needs uid and sopClass Coding")
    return problems


def _fhir(g: Grading, ref: dict[str, Any], matched: dict[str, str], out_dumps: dict[str, Any],
          in_dumps: dict[str, Any], uid_map: dict[str, str]) -> None:
    bundle = g.read_json("imaging_study.json")
    problems = _r4_problems(bundle)
    g.check("imaging_study.json is a FHIR R4 Bundle of ImagingStudy resources", not problems,
            reason="; ".join(problems[:5]))
    if problems:
        g.check("ImagingStudy resources agree with the released files", False, weight=2, reason="no valid Bundle")
        return
    resources = [e["resource"] for e in bundle["entry"]]
    patients = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            ids = {str(i.get("value")) for i in _list(resource.get("identifier")) if isinstance(i, dict)}
            for key in (str(entry.get("fullUrl")), f"Patient/{resource.get('id')}"):
                patients[key] = ids
    studies = {}
    for resource in resources:
        if resource["resourceType"] == "ImagingStudy":
            for identifier in _list(resource.get("identifier")):
                if isinstance(identifier, dict) and identifier.get("system") == "urn:dicom:uid":
                    studies[str(identifier.get("value", "")).removeprefix("urn:oid:")] = resource
    expected: dict[str, dict[str, Any]] = {}
    for name, original in matched.items():
        top, before = _top(out_dumps[name]), _top(in_dumps[original])
        study = expected.setdefault(_value(top, "0020000D") or "", {
            "series": defaultdict(dict), "rid": ref["patients"][ref["files"][original]["patient"]]["research_id"],
            "date": _shift(_value(before, "00080020") or "", ref["patients"][ref["files"][original]["patient"]]["offset_days"]),
            "time": _value(before, "00080030") or ""})
        study["series"][_value(top, "0020000E")][_value(top, "00080018")] = (
            _value(top, "00200011"), _value(top, "00080060"), _value(top, "00200013"), _value(top, "00080016"))
    verdicts = {uid: _study_verdict(studies.get(uid), want, patients) for uid, want in expected.items()}
    verdicts.update({uid: "not a released study" for uid in studies if uid not in expected})
    g.fraction("ImagingStudy resources agree with the released files", verdicts, weight=2, noun="studies")


def _study_verdict(study: dict[str, Any] | None, want: dict[str, Any], patients: dict[Any, set[Any]]) -> Verdict:
    if study is None:
        return "no ImagingStudy with this study UID (system urn:dicom:uid)"
    problems = []
    subject = _dict(study.get("subject"))
    ids = patients.get(str(subject.get("reference")), set()) | {str(_dict(subject.get("identifier")).get("value"))}
    if want["rid"] not in ids:
        problems.append("subject is not the pseudonymised patient")
    started = str(study.get("started", ""))
    day = f"{want['date'][:4]}-{want['date'][4:6]}-{want['date'][6:8]}"
    clock = f"{want['time'][:2]}:{want['time'][2:4]}:{want['time'][4:6]}"
    if not started.startswith(day) or (len(started) > 10 and started[11:19] != clock):
        problems.append(f"started {started!r}, expected {day}T{clock}")
    series = want["series"]
    if study.get("numberOfSeries") != len(series):
        problems.append(f"numberOfSeries {study.get('numberOfSeries')} != {len(series)}")
    if study.get("numberOfInstances") != sum(len(s) for s in series.values()):
        problems.append("numberOfInstances wrong")
    modalities = {m[1] for s in series.values() for m in s.values()}
    if {m.get("code") for m in _list(study.get("modality")) if m.get("system") == DCM} != modalities:
        problems.append("study modality list wrong")
    found = {s.get("uid"): s for s in _list(study.get("series"))}
    if set(found) != set(series):
        problems.append("series UIDs differ from the files")
    for uid, instances in series.items():
        if (entry := found.get(uid)) is None:
            continue
        number, modality = next(iter(instances.values()))[:2]
        instance_rows = {i.get("uid"): i for i in _list(entry.get("instance"))}
        if str(entry.get("number")) != str(number) or entry.get("modality", {}).get("code") != modality \
                or entry.get("numberOfInstances") != len(instances) or set(instance_rows) != set(instances):
            problems.append(f"series {number}: number, modality, count or instance UIDs wrong")
            continue
        for sop, (_, _, instance_number, sop_class) in instances.items():
            row = instance_rows[sop]
            if str(row.get("number")) != str(instance_number) or row.get("sopClass", {}).get("code") != f"urn:oid:{sop_class}":
                problems.append(f"series {number}: instance {instance_number} number or sopClass wrong")
    return "; ".join(problems[:4]) or True


# ---------------------------------------------------------------------------------------------
# audit log
# ---------------------------------------------------------------------------------------------


def _tag_key(text: Any) -> str:
    digits = re.sub(r"[^0-9A-Fa-f]", "", str(text or "")).upper()
    return digits if len(digits) == 8 else ""


def _audit(g: Grading, ref: dict[str, Any], matched: dict[str, str], out_dumps: dict[str, Any],
           in_dumps: dict[str, Any]) -> None:
    rows = g.read_csv("audit_log.csv", required_columns=["source_file", "output_file", "tag", "keyword", "action"])
    if rows is None:
        return
    logged: dict[str, dict[str, str]] = defaultdict(dict)
    outputs: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        source = str(row.get("source_file") or "")
        source = source[source.find("DICOM/"):] if "DICOM/" in source else source
        action = str(row.get("action") or "").strip().upper()
        logged[source][_tag_key(row.get("tag")) or action] = action
        outputs[source].add(str(row.get("output_file") or "").strip().removeprefix("./"))
    released = {original: name for name, original in matched.items()}
    verdicts: dict[str, Verdict] = {}
    for original, info in ref["files"].items():
        actions = logged.get(original, {})
        if info["burned_in"] or original not in released:
            verdicts[original] = True if "EXCLUDED" in actions.values() else "withheld file not logged as EXCLUDED"
            continue
        name = released[original]
        if not ({name, f"dicom/{name}", name.removeprefix("dicom/")} & outputs.get(original, set())):
            verdicts[original] = f"output_file does not name {name}"
            continue
        before, after = _top(in_dumps[original]), _top(out_dumps[name])
        problems = [p for tag, element in before.items()
                    if (p := _action_problem(tag, element, after.get(tag), actions.get(tag)))]
        problems += [f"unknown action {a!r}" for a in actions.values() if a not in ACTIONS]
        verdicts[original] = "; ".join(problems[:4]) or True
    g.fraction("audit log: every attribute action logged, and as it was done", verdicts, noun="files")


def _action_problem(tag: str, before: dict[str, Any], after: dict[str, Any] | None, action: str | None) -> str:
    if after is None:
        state, allowed = "removed", {"X"}
    elif after["value"] == before["value"]:
        state, allowed = "kept", {"K", None}
    elif after["value"] in ("", []):
        state, allowed = "emptied", {"Z", "X"}
    else:
        state, allowed = "changed", {"D", "C", "U"}
    return "" if action in allowed else f"({tag[:4]},{tag[4:]}) {state} but logged {action or 'nothing'}"

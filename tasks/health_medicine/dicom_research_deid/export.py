"""The generated PACS export: patients, studies, series and instances with the identifiers a real one
carries (names in PN and free text, MRNs, accession numbers, staff, institution, private blocks,
request and other-ID sequences), the site's pseudonym map and release policy, and the reference facts
the grader needs (every identifying string, each patient's pseudonym and date offset, the clinical
phrases that must survive cleaning, which files carry burned-in annotation)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import write_csv

from .dicom_writer import Element, write_dicom

SOP_CLASS = {"CT": "1.2.840.10008.5.1.4.1.1.2", "MR": "1.2.840.10008.5.1.4.1.1.4", "SC": "1.2.840.10008.5.1.4.1.1.7"}
OPTION_CODES = {
    "113100": "Basic Application Confidentiality Profile",
    "113105": "Clean Descriptors Option",
    "113107": "Retain Longitudinal Temporal Information Modified Dates Option",
    "113108": "Retain Patient Characteristics Option",
}
SURNAMES = ["ABERNATHY", "OKONKWO", "VASQUEZ", "LINDQVIST", "FAIRWEATHER", "THORNBURY", "KACZMAREK", "DELACROIX",
            "HALVORSEN", "QUINTERO", "WHITFIELD", "ASHCROFT", "CASTELLANOS", "DUBROVSKY", "ELLSWORTH", "GALLOWAY",
            "JANKOWSKI", "MONTGOMERIE", "PENDLETON", "RAFFERTY", "SZYMANSKI", "TREMBLAY", "WOJCIECHOWSKI"]
GIVEN = ["THERESA", "WINIFRED", "AUGUSTINE", "BEATRIX", "CORNELIUS", "DESMOND", "EVANGELINE", "FLORIAN",
         "GWENDOLYN", "HORATIO", "IMOGEN", "LEOPOLD", "MARGUERITE", "OSWALD", "PERPETUA", "ROSALIND", "SEBASTIAN",
         "TOBIAS", "ZENOBIA", "CLEMENTINE", "BARNABY"]
SITES = [("NORTHGATE GENERAL HOSPITAL", "NORTHGATE", "1200 HARBOR BLVD, SPRINGFIELD"),
         ("SAINT ALDRIC MEDICAL CENTER", "ALDRIC", "44 CATHEDRAL ROW, EASTBRIDGE"),
         ("LAKEMOOR UNIVERSITY HOSPITAL", "LAKEMOOR", "9 INFIRMARY LANE, WESTHAVEN")]
PROTOCOLS = {
    "CT": [("CT CHEST W CONTRAST", "CHEST", "CHEST_ROUTINE"), ("CT ABDOMEN PELVIS W CONTRAST", "ABDOMEN", "ABD_PEL_PV"),
           ("CT CHEST WO CONTRAST LOW DOSE", "CHEST", "LDCT_SCREEN")],
    "MR": [("MRI BRAIN W WO CONTRAST", "BRAIN", "BRAIN_TUMOR"), ("MRI LUMBAR SPINE WO CONTRAST", "LSPINE", "LSP_ROUTINE")],
}
SERIES = {  # (series description, image type, instances range, slice thickness)
    "CT": [("SCOUT", "ORIGINAL\\PRIMARY\\LOCALIZER", (2, 2), "1"), ("AX 5MM STD", "ORIGINAL\\PRIMARY\\AXIAL", (4, 6), "5"),
           ("COR 3MM MPR", "DERIVED\\SECONDARY\\REFORMATTED", (3, 4), "3")],
    "MR": [("3PL LOC", "ORIGINAL\\PRIMARY\\LOCALIZER", (2, 2), "8"), ("AX T1 POST", "ORIGINAL\\PRIMARY\\M", (4, 6), "5"),
           ("SAG T2 FSE", "ORIGINAL\\PRIMARY\\M", (3, 4), "4")],
}
BURNED_IN = {"CT": ("DOSE REPORT", 1), "MR": ("SCREEN SAVE", 2)}
UID_ROOT = "1.3.6.1.4.1.58231.2"
RESEARCH_ID_SYSTEM = "urn:oid:1.3.6.1.4.1.58231.9.7"
IMAGE_SIZE = 48


def _uid(rng: random.Random, kind: int) -> str:
    return f"{UID_ROOT}.{kind}.{rng.randint(10**8, 10**9 - 1)}.{rng.randint(10**11, 10**12 - 1)}.{rng.randint(1, 99999)}"


def _da(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _pixels(rng: random.Random, kind: str) -> bytes:
    """A 12-bit phantom slice (an ellipse of soft tissue with a brighter core) plus seeded noise."""
    noise = np.random.default_rng(rng.randint(0, 2**32 - 1))
    y, x = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE] - IMAGE_SIZE / 2
    a, b = rng.uniform(14, 21), rng.uniform(10, 19)
    image = np.where((x / a) ** 2 + (y / b) ** 2 < 1, 1040.0, 24.0)
    image += np.where((x / (a / 3)) ** 2 + ((y - 3) / (b / 3)) ** 2 < 1, 300.0, 0.0)
    if kind == "burned":
        image[4:9, 4:40] = 4095.0  # the dose table's text band
    image += noise.normal(0, 18, image.shape)
    return np.clip(image, 0, 4095).astype("<u2").tobytes()


def _person(rng: random.Random, used: set[str]) -> tuple[str, str]:
    last = rng.choice([s for s in SURNAMES if s not in used])
    first = rng.choice([g for g in GIVEN if g not in used])
    used.update((last, first))
    return last, first


def build(params: dict[str, Any], input_dir: Path, reference_dir: Path) -> None:
    """Write the export under ``input_dir`` (DICOM/, pseudonym_map.csv, release_policy.md) and the facts of
    ``reference_dir/reference.json``."""
    rng = random.Random(f"dicom-deid-{params['seed']}")
    modality = params["modality"]
    site, site_token, address = rng.choice(SITES)
    used: set[str] = set()
    staff = {role: _person(rng, used) for role in ("referring", "operator", "performing", "reader")}
    patients = []
    for index in range(params["patients"]):
        last, first = _person(rng, used)
        patients.append({
            "last": last, "first": first, "middle": rng.choice("ABCDEJKLMR"),
            "mrn": f"{site_token[:2]}{rng.randint(10**7, 10**8 - 1)}",
            "empi": f"EMPI-{rng.randint(10**7, 10**8 - 1)}",
            "birth": dt.date(rng.randint(1941, 1992), rng.randint(1, 12), rng.randint(1, 28)),
            "sex": rng.choice("MF"), "weight": f"{rng.uniform(48, 112):.1f}", "size": f"{rng.uniform(1.52, 1.94):.2f}",
            "phone": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "address": f"{rng.randint(11, 9899)} {rng.choice(['LINDEN', 'OSPREY', 'CALLOWAY', 'MARSHGATE'])} ST, {address.split(', ')[1]}",
            "research_id": f"LUNGREG-{rng.randint(1000, 9999)}-{index + 1:02d}" if modality == "CT"
            else f"NEUROREG-{rng.randint(1000, 9999)}-{index + 1:02d}",
        })
    study_patients = [index % params["patients"] for index in range(params["studies"])]
    study_days: list[dt.date] = []
    for study in range(params["studies"]):
        previous = [d for d, p in zip(study_days, study_patients, strict=False) if p == study_patients[study]]
        study_days.append(previous[-1] + dt.timedelta(days=rng.randint(90, 400)) if previous
                          else dt.date(2022, 1, 3) + dt.timedelta(days=rng.randint(0, 900)))

    tokens: set[str] = {site, site_token, address, address.split(",")[0]}
    for last, first in staff.values():
        tokens.update((last, first, f"{last}^{first}"))
    files: dict[str, dict[str, Any]] = {}
    original_dates: set[dt.date] = set()
    stations = {"CT": f"{site_token[:3]}CT0{rng.randint(1, 4)}", "MR": f"{site_token[:3]}MR0{rng.randint(1, 4)}"}
    device_serial = f"{rng.randint(10000, 99999)}-{rng.randint(10, 99)}"
    tokens.update((stations[modality], device_serial))

    for study, day in enumerate(study_days):
        patient = patients[study_patients[study]]
        tokens.update((patient["last"], patient["first"], patient["mrn"], patient["empi"], patient["phone"],
                       patient["address"], patient["address"].split(",")[0],
                       f"{patient['last']}^{patient['first']}"))
        original_dates.update((day, patient["birth"]))
        description, body_part, protocol = rng.choice(PROTOCOLS[modality])
        study_uid, frame_uid = _uid(rng, 1), _uid(rng, 4)
        accession = f"A{rng.randint(10**6, 10**7 - 1)}"
        study_id = f"S{rng.randint(10**6, 10**7 - 1)}"
        request_id, step_id, pps_id = (f"RP{rng.randint(10**6, 10**7 - 1)}", f"SPS{rng.randint(10**6, 10**7 - 1)}",
                                       f"PPS{rng.randint(10**6, 10**7 - 1)}")
        tokens.update((accession, study_id, request_id, step_id, pps_id))
        ref_last, ref_first = staff["referring"]
        op_last, _ = staff["operator"]
        study_text = rng.choice([f"{description} - per Dr {ref_last}",
                                 f"{description} ({patient['first']} {patient['last']})",
                                 f"{description} REF {ref_last}^{ref_first}"])
        study_time = f"{rng.randint(7, 18):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
        age = (day - patient["birth"]).days // 365
        scheduled = day - dt.timedelta(days=rng.randint(1, 12))
        original_dates.add(scheduled)
        common: list[Element] = [
            (0x00080005, "CS", "ISO_IR 100"), (0x00080020, "DA", _da(day)), (0x00080030, "TM", study_time),
            (0x00080050, "SH", accession), (0x00080060, "CS", modality), (0x00080070, "LO", "SIEMENS" if modality == "CT" else "GE MEDICAL SYSTEMS"),
            (0x00080080, "LO", site), (0x00080081, "ST", address), (0x00080090, "PN", f"{ref_last}^{ref_first}^^DR"),
            (0x00081010, "SH", stations[modality]), (0x00081030, "LO", study_text),
            (0x00081040, "LO", f"{site_token} IMAGING CENTER"), (0x00081050, "PN", "^".join(staff["performing"])),
            (0x00081070, "PN", "^".join(staff["operator"])), (0x00081090, "LO", "SOMATOM Force" if modality == "CT" else "SIGNA Premier"),
            (0x00090010, "LO", "NGPACS 2.1"), (0x00091001, "LO", f"{patient['last']}, {patient['first']} {patient['middle']}"),
            (0x00091002, "LO", f"MRN {patient['mrn']}"), (0x00091003, "LT", f"Read by {staff['reader'][0]}; acc {accession}"),
            (0x00100010, "PN", f"{patient['last']}^{patient['first']}^{patient['middle']}"), (0x00100020, "LO", patient["mrn"]),
            (0x00100021, "LO", f"{site_token} MRN"), (0x00100030, "DA", _da(patient["birth"])), (0x00100040, "CS", patient["sex"]),
            (0x00101000, "LO", patient["empi"]), (0x00101010, "AS", f"{age:03d}Y"), (0x00101020, "DS", patient["size"]),
            (0x00101030, "DS", patient["weight"]), (0x00101040, "LO", patient["address"]), (0x00102154, "SH", patient["phone"]),
            (0x00180015, "CS", body_part), (0x00181000, "LO", device_serial), (0x00181030, "LO", protocol),
            (0x0020000D, "UI", study_uid), (0x00200010, "SH", study_id),
            (0x00321032, "PN", f"{ref_last}^{ref_first}"), (0x00400244, "DA", _da(day)), (0x00400253, "SH", pps_id),
            (0x00400254, "LO", f"{description} {patient['last']}"),
        ]
        if params["nested_phi"]:
            common += [
                (0x00101002, "SQ", [[(0x00100020, "LO", patient["empi"]), (0x00100021, "LO", "REGIONAL EMPI"),
                                     (0x00100022, "CS", "TEXT")]]),
                (0x00400275, "SQ", [[
                    (0x00321060, "LO", description), (0x00400002, "DA", _da(scheduled)),
                    (0x00400007, "LO", f"{description} for {patient['first']} {patient['last']}"),
                    (0x00400008, "SQ", [[(0x00080100, "SH", protocol[:16]), (0x00080102, "SH", "99NGPROT"),
                                         (0x00080104, "LO", f"{protocol} ordered by {ref_last}")]]),
                    (0x00400009, "SH", step_id), (0x00401001, "SH", request_id)]]),
                (0x00091010, "SQ", [[(0x00100010, "PN", f"{patient['last']}^{patient['first']}"),
                                     (0x00100030, "DA", _da(patient["birth"]))]]),
            ]
        localizer_refs: list[str] = []
        series_plan = [*SERIES[modality], (BURNED_IN[modality][0], "DERIVED\\SECONDARY\\OTHER",
                                           (BURNED_IN[modality][1],) * 2, None)]
        for number, (series_text, image_type, count_range, thickness) in enumerate(series_plan, start=1):
            burned = thickness is None
            series_uid = _uid(rng, 2)
            series_time = f"{study_time[:2]}{(int(study_time[2:4]) + number) % 60:02d}{study_time[4:]}"
            series_description = f"{series_text} tech {op_last}" if number == 2 else series_text
            for instance in range(1, rng.randint(*count_range) + 1):
                sop_uid = _uid(rng, 3)
                sop_class = SOP_CLASS["SC" if burned else modality]
                content_time = f"{series_time[:4]}{(int(series_time[4:]) + instance) % 60:02d}"
                elements: list[Element] = [
                    *common,
                    (0x00080008, "CS", image_type), (0x00080012, "DA", _da(day)), (0x00080013, "TM", content_time),
                    (0x00080016, "UI", sop_class), (0x00080018, "UI", sop_uid), (0x00080021, "DA", _da(day)),
                    (0x00080023, "DA", _da(day)), (0x00080031, "TM", series_time), (0x00080033, "TM", content_time),
                    (0x0008103E, "LO", series_description), (0x0020000E, "UI", series_uid),
                    (0x00200011, "IS", str(number)), (0x00200013, "IS", str(instance)),
                    (0x00280002, "US", 1), (0x00280004, "CS", "MONOCHROME2"), (0x00280010, "US", IMAGE_SIZE),
                    (0x00280011, "US", IMAGE_SIZE), (0x00280100, "US", 16), (0x00280101, "US", 12),
                    (0x00280102, "US", 11), (0x00280103, "US", 0), (0x00280301, "CS", "YES" if burned else "NO"),
                    (0x7FE00010, "OW", _pixels(rng, "burned" if burned else "image")),
                ]
                if burned:
                    elements += [(0x00080064, "CS", "WSD")]
                else:
                    elements += [
                        (0x00080022, "DA", _da(day)), (0x0008002A, "DT", f"{_da(day)}{content_time}.{rng.randint(0, 999999):06d}"),
                        (0x00180050, "DS", thickness), (0x00200032, "DS", f"-120\\-120\\{-40 + 5 * instance}"),
                        (0x00200037, "DS", "1\\0\\0\\0\\1\\0"), (0x00200052, "UI", frame_uid),
                        (0x00280030, "DS", "0.703125\\0.703125"),
                        (0x00281050, "DS", "40" if modality == "CT" else "600"), (0x00281051, "DS", "400" if modality == "CT" else "1200"),
                    ]
                    if modality == "CT":
                        elements += [(0x00180060, "DS", "120"), (0x00281052, "DS", "-1024"), (0x00281053, "DS", "1")]
                    if number == 1:
                        localizer_refs.append(sop_uid)
                    else:
                        elements.append((0x00081140, "SQ", [[(0x00081150, "UI", SOP_CLASS[modality]),
                                                             (0x00081155, "UI", localizer_refs[instance % len(localizer_refs)])]]))
                    if number == 2:
                        elements.append((0x00204000, "LT", f"MRN {patient['mrn']} protocol checked by {ref_last}"))
                relative = f"DICOM/ST{study + 1:06d}/SE{number:06d}/IM{instance:06d}"
                write_dicom(input_dir / relative, elements)
                tokens.update((study_uid, series_uid, sop_uid, frame_uid))
                files[relative] = {"patient": patient["mrn"], "burned_in": burned, "study": study,
                                   "clinical": {"StudyDescription": description, "SeriesDescription": series_text}}

    offsets = _choose_offsets(rng, patients, original_dates)
    decoys = [{"mrn": f"{site_token[:2]}{rng.randint(10**7, 10**8 - 1)}",
               "research_id": f"{patients[0]['research_id'].split('-')[0]}-{rng.randint(1000, 9999)}-{k + 10:02d}",
               "offset": -rng.randint(30, 720)} for k in range(6)]
    rows = [(p["mrn"], f"{site_token} MRN", p["research_id"], offsets[p["mrn"]]) for p in patients]
    rows += [(d["mrn"], f"{site_token} MRN", d["research_id"], d["offset"]) for d in decoys]
    rng.shuffle(rows)
    write_csv(input_dir / "pseudonym_map.csv", ["mrn", "issuer", "research_id", "date_offset_days"], rows)
    (input_dir / "release_policy.md").write_text(_policy(site, patients[0]["research_id"].split("-")[0]))

    for day in sorted(original_dates):
        tokens.update((_da(day), day.isoformat()))
    reference = {
        "phi_tokens": sorted(tokens, key=lambda t: (-len(t), t)),
        "patients": {p["mrn"]: {"research_id": p["research_id"], "offset_days": offsets[p["mrn"]]} for p in patients},
        "files": files,
        "option_codes": OPTION_CODES,
        "research_id_system": RESEARCH_ID_SYSTEM,
    }
    (reference_dir / "reference.json").write_text(json.dumps(reference, indent=1))


def _choose_offsets(rng: random.Random, patients: list[dict[str, Any]], original_dates: set[dt.date]) -> dict[str, int]:
    """A per-patient shift into the past that maps no original date onto another original date (so no shifted
    date can be mistaken for, or betray, a real one)."""
    offsets = {}
    for patient in patients:
        while True:
            offset = -rng.randint(120, 1500)
            if not {d + dt.timedelta(days=offset) for d in original_dates} & original_dates:
                break
        offsets[patient["mrn"]] = offset
    return offsets


def _policy(site: str, registry: str) -> str:
    return f"""# {site.title()}: research imaging release policy (RIR-7, rev. 3)

Applies to every imaging release for the {registry} research registry. The imaging informatics
analyst prepares the release from the PACS export; the honest broker holds the key file.

## Confidentiality profile

DICOM PS3.15 Annex E, Basic Application Level Confidentiality Profile, with these options and no others:

- Retain Longitudinal Temporal Information with Modified Dates Option
- Retain Patient Characteristics Option
- Clean Descriptors Option

Record the profile and the options in the released headers the way PS3.15 prescribes
(Patient Identity Removed, De-identification Method and its code sequence with the DCM codes of CID 7050,
Longitudinal Temporal Information Modified).

## Site rules

1. Pseudonyms: look the patient up by MRN in `pseudonym_map.csv` (the honest broker's key file).
   Patient's Name and Patient ID both become the patient's `research_id`. Patient's Birth Date is
   released empty (age is kept in Patient's Age).
2. Dates: every date (DA, and the date part of every DT) that is released is moved by the patient's
   `date_offset_days` (negative: into the past). Times of day are released unchanged.
3. UIDs: every study, series, instance and frame of reference UID is replaced by a new UID of the
   release. The same original UID always becomes the same new UID, in every file and in every reference
   to it; the SOP Class UIDs are not changed. Keep the Referenced Image Sequence (localizer
   cross-references) with the UIDs inside it replaced the same way.
4. Private attributes: none is released.
5. Burned-in annotation: an image whose Burned In Annotation is YES is not released at all (this
   release has no pixel-cleaning step). Pixel data of released images must not be altered.
6. Type 2 attributes stay present (empty when the profile removes their value).
"""

"""Write the case's DICOM RT set with pydicom (run in the task's tool environment by generate()).

usage: write_case.py CASE_JSON ARRAYS_NPZ OUT_DIR STORED_NPZ
CASE_JSON holds the geometry, contours, plan and UIDs; ARRAYS_NPZ the CT numbers and the beam doses (Gy).
STORED_NPZ receives the doses as stored (dequantised).
"""

import json
import sys
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
RTSTRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
RTPLAN_STORAGE = "1.2.840.10008.5.1.4.1.1.481.5"
RTDOSE_STORAGE = "1.2.840.10008.5.1.4.1.1.481.2"


def base(case, sop_class, sop_uid, modality, series_uid, series_number, frame_uid):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = case["uid_root"] + "9.9"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = sop_class, sop_uid, modality
    ds.PatientName, ds.PatientID = case["patient_name"], case["patient_id"]
    ds.PatientBirthDate, ds.PatientSex = "19580101", case["sex"]
    ds.StudyInstanceUID, ds.StudyDate, ds.StudyTime, ds.StudyID = case["study_uid"], case["date"], "090000", "1"
    ds.AccessionNumber, ds.ReferringPhysicianName = "", ""
    ds.SeriesInstanceUID, ds.SeriesNumber = series_uid, series_number
    ds.FrameOfReferenceUID = frame_uid
    ds.Manufacturer = "ALE synthetic"
    ds.PatientPosition = "HFS"
    ds.SpecificCharacterSet = "ISO_IR 100"
    return ds


def write_ct(case, ct, out):
    g = case["grid"]
    nz, ny, nx = ct.shape
    for k in range(nz):
        uid = case["ct_uids"][k]
        ds = base(case, CT_STORAGE, uid, "CT", case["ct_series_uid"], 1, case["frame_uid"])
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [g["origin"][0], g["origin"][1], g["origin"][2] + k * g["spacing"][2]]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceThickness = g["spacing"][2]
        ds.PixelSpacing = [g["spacing"][1], g["spacing"][0]]
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
        ds.KVP = 120
        ds.PixelData = ct[k].astype("<i2").tobytes()
        ds.save_as(out / f"CT.{uid}.dcm", enforce_file_format=True)


def write_struct(case, out):
    ds = base(case, RTSTRUCT_STORAGE, case["struct_uid"], "RTSTRUCT", case["struct_series_uid"], 2, case["frame_uid"])
    ds.StructureSetLabel, ds.StructureSetDate, ds.StructureSetTime = "PLANNING", case["date"], "100000"
    zs = [case["grid"]["origin"][2] + k * case["grid"]["spacing"][2] for k in range(len(case["ct_uids"]))]
    contour_images = []
    for uid in case["ct_uids"]:
        item = Dataset()
        item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID = CT_STORAGE, uid
        contour_images.append(item)
    series = Dataset()
    series.SeriesInstanceUID, series.ContourImageSequence = case["ct_series_uid"], Sequence(contour_images)
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    study.ReferencedSOPInstanceUID = case["study_uid"]
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID, frame.RTReferencedStudySequence = case["frame_uid"], Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    rois, roi_contours, observations = [], [], []
    for number, (name, roi) in enumerate(case["contours"].items(), start=1):
        item = Dataset()
        item.ROINumber, item.ReferencedFrameOfReferenceUID, item.ROIName = number, case["frame_uid"], name
        item.ROIGenerationAlgorithm = "MANUAL"
        rois.append(item)
        contours = []
        for z, poly in roi:
            c = Dataset()
            k = int(np.argmin([abs(z - zz) for zz in zs]))
            ref = Dataset()
            ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = CT_STORAGE, case["ct_uids"][k]
            c.ContourImageSequence = Sequence([ref])
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = len(poly)
            c.ContourData = [v for x, y in poly for v in (x, y, round(z, 2))]
            contours.append(c)
        rc = Dataset()
        rc.ReferencedROINumber, rc.ROIDisplayColor = number, [255, (number * 70) % 256, (number * 130) % 256]
        rc.ContourSequence = Sequence(contours)
        roi_contours.append(rc)
        ob = Dataset()
        ob.ObservationNumber, ob.ReferencedROINumber, ob.ROIInterpreter = number, number, ""
        ob.RTROIInterpretedType = "EXTERNAL" if name == "BODY" else "PTV" if name == "PTV" else "ORGAN"
        observations.append(ob)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(roi_contours)
    ds.RTROIObservationsSequence = Sequence(observations)
    ds.save_as(out / f"RS.{case['struct_uid']}.dcm", enforce_file_format=True)


def write_plan(case, out):
    plan = case["plan"]
    ds = base(case, RTPLAN_STORAGE, plan["uid"], "RTPLAN", case["plan_series_uid"], 3, case["frame_uid"])
    ds.RTPlanLabel, ds.RTPlanName, ds.RTPlanDate, ds.RTPlanTime = plan["label"], plan["label"], case["date"], "110000"
    ds.RTPlanGeometry = "PATIENT"
    ref_struct = Dataset()
    ref_struct.ReferencedSOPClassUID, ref_struct.ReferencedSOPInstanceUID = RTSTRUCT_STORAGE, case["struct_uid"]
    ds.ReferencedStructureSetSequence = Sequence([ref_struct])
    dref = Dataset()
    dref.DoseReferenceNumber, dref.DoseReferenceStructureType, dref.DoseReferenceType = 1, "VOLUME", "TARGET"
    dref.DoseReferenceDescription = "PTV"
    dref.TargetPrescriptionDose = plan["rx_gy"]
    ds.DoseReferenceSequence = Sequence([dref])
    beams, refs = [], []
    for b in plan["beams"]:
        beam = Dataset()
        beam.BeamNumber, beam.BeamName, beam.BeamType = b["number"], b["name"], "STATIC"
        beam.RadiationType, beam.TreatmentMachineName = "PHOTON", "LINAC1"
        beam.SourceAxisDistance = 1000.0
        beam.TreatmentDeliveryType = "TREATMENT"
        beam.NumberOfWedges = beam.NumberOfCompensators = beam.NumberOfBoli = beam.NumberOfBlocks = 0
        beam.FinalCumulativeMetersetWeight = 1.0
        beam.NumberOfControlPoints = 2
        cps = []
        for i in range(2):
            cp = Dataset()
            cp.ControlPointIndex, cp.CumulativeMetersetWeight = i, float(i)
            if i == 0:
                cp.NominalBeamEnergy = 6.0
                cp.GantryAngle, cp.GantryRotationDirection = b["gantry"], "NONE"
                cp.BeamLimitingDeviceAngle, cp.PatientSupportAngle = 0.0, 0.0
                cp.IsocenterPosition = [0.0, 0.0, 0.0]
                cp.SourceToSurfaceDistance = b["ssd"]
            cps.append(cp)
        beam.ControlPointSequence = Sequence(cps)
        beams.append(beam)
        ref = Dataset()
        ref.ReferencedBeamNumber, ref.BeamMeterset = b["number"], b["mu"]
        ref.BeamDose = b["dose_per_fraction_at_iso"]
        refs.append(ref)
    ds.BeamSequence = Sequence(beams)
    fg = Dataset()
    fg.FractionGroupNumber, fg.NumberOfFractionsPlanned = 1, plan["fractions"]
    fg.NumberOfBeams, fg.NumberOfBrachyApplicationSetups = len(beams), 0
    fg.ReferencedBeamSequence = Sequence(refs)
    ds.FractionGroupSequence = Sequence([fg])
    ds.ApprovalStatus = "UNAPPROVED"
    ds.save_as(out / f"RP.{plan['uid']}.dcm", enforce_file_format=True)


def write_dose(case, dose, spec, out):
    g = case["grid"]
    ds = base(case, RTDOSE_STORAGE, spec["uid"], "RTDOSE", spec["series_uid"], spec["series_number"], spec["frame_uid"])
    nz, ny, nx = dose.shape
    scaling = float(dose.max()) / 4.0e9 if dose.max() > 0 else 1e-9
    scaling = float(f"{scaling:.6e}")
    pixels = np.rint(dose / scaling).astype("<u4")
    ds.DoseUnits, ds.DoseType, ds.DoseSummationType = "GY", "PHYSICAL", spec["summation"]
    ds.DoseGridScaling = f"{scaling:.6e}"
    ds.ImagePositionPatient = list(g["origin"])
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [g["spacing"][1], g["spacing"][0]]
    ds.SliceThickness = g["spacing"][2]
    ds.GridFrameOffsetVector = [k * g["spacing"][2] for k in range(nz)]
    ds.NumberOfFrames, ds.FrameIncrementPointer = nz, 0x3004000C
    ds.Rows, ds.Columns = ny, nx
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 32, 32, 31, 0
    ref_plan = Dataset()
    ref_plan.ReferencedSOPClassUID, ref_plan.ReferencedSOPInstanceUID = RTPLAN_STORAGE, spec["plan_uid"]
    if spec.get("beam_number") is not None:
        rb = Dataset()
        rb.ReferencedBeamNumber = spec["beam_number"]
        rfg = Dataset()
        rfg.ReferencedFractionGroupNumber, rfg.ReferencedBeamSequence = 1, Sequence([rb])
        ref_plan.ReferencedFractionGroupSequence = Sequence([rfg])
    ds.ReferencedRTPlanSequence = Sequence([ref_plan])
    if spec.get("comment"):
        ds.DoseComment = spec["comment"]
    ds.PixelData = pixels.tobytes()
    ds.save_as(out / f"RD.{spec['uid']}.dcm", enforce_file_format=True)
    return pixels.astype(np.float64) * scaling


def main():
    case = json.loads(Path(sys.argv[1]).read_text())
    arrays = np.load(sys.argv[2])
    out = Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    write_ct(case, arrays["ct"], out)
    write_struct(case, out)
    write_plan(case, out)
    stored = {}
    for spec in case["doses"]:
        stored[spec["key"]] = write_dose(case, arrays[spec["key"]], spec, out)
    np.savez_compressed(sys.argv[4], **stored)


main()

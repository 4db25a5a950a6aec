"""Write a walking trial's C3D file with ezc3d (run in the task's tool environment by generate()).

Usage: write_c3d.py TRIAL.npz OUT.c3d. The npz holds ``labels``, ``points`` (3 x markers x frames, mm, NaN
where a marker is missing), ``analogs`` (channels x samples, N), ``marker_hz``, ``analog_hz`` and
``corners`` (3 x 4 x plates, mm).
"""

import sys

import ezc3d
import numpy as np

data = np.load(sys.argv[1])
points = data["points"]
c3d = ezc3d.c3d()
c3d["parameters"]["POINT"]["RATE"]["value"] = [float(data["marker_hz"])]
c3d["parameters"]["POINT"]["LABELS"]["value"] = tuple(str(x) for x in data["labels"])
c3d["parameters"]["POINT"]["UNITS"]["value"] = ["mm"]
c3d["data"]["points"] = np.concatenate([points, np.ones((1, *points.shape[1:]))])
c3d["parameters"]["ANALOG"]["RATE"]["value"] = [float(data["analog_hz"])]
c3d["parameters"]["ANALOG"]["LABELS"]["value"] = ("Fz1", "Fz2")
c3d["parameters"]["ANALOG"]["DESCRIPTIONS"]["value"] = ("Force plate 1 vertical force", "Force plate 2 vertical force")
c3d["parameters"]["ANALOG"]["UNITS"]["value"] = ("N", "N")
c3d["data"]["analogs"] = data["analogs"][np.newaxis]
c3d.add_parameter("FORCE_PLATFORM", "USED", [2])
c3d.add_parameter("FORCE_PLATFORM", "CORNERS", data["corners"])
c3d.add_parameter("FORCE_PLATFORM", "ORIGIN", np.array([[0.0, 0.0], [0.0, 0.0], [-40.0, -40.0]]))
c3d.add_parameter("FORCE_PLATFORM", "CHANNEL", [[1, 2]])
c3d.add_parameter("SUBJECTS", "NAMES", ["PATIENT01"])
c3d.add_parameter("SUBJECTS", "MARKER_SETS", ["Lower body (Plug-in Gait style)"])
c3d.write(sys.argv[2])

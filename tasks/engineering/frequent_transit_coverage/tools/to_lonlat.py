"""Convert projected coordinates to WGS 84 longitude/latitude with pyproj (run in the task's tool env).

Usage: to_lonlat.py CRS IN.json OUT.json, where IN.json is a list of [x, y] and OUT.json gets [lon, lat].
"""

import json
import sys
from pathlib import Path

from pyproj import Transformer

crs, source, target = sys.argv[1:4]
transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
points = json.loads(Path(source).read_text())
lon, lat = transformer.transform([p[0] for p in points], [p[1] for p in points])
Path(target).write_text(json.dumps([[a, b] for a, b in zip(lon, lat, strict=True)]))

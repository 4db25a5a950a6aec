"""Synthetic radiotherapy case: patient geometry, contours, masks and per-beam dose grids.

Coordinates are DICOM patient coordinates (LPS, mm), head-first supine; the isocentre is at the origin.
A beam at IEC gantry angle g has its source at (sin g, -cos g, 0) * SAD. Doses come from a simple
conformal-field model: an aperture fitted per slice to the PTV's projection with a margin, error-function
penumbra, build-up and exponential attenuation on the radiological depth, inverse square.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

SAD_MM = 1000.0
MU_PER_MM = 0.0045
BUILDUP_MM = 8.0
PENUMBRA_SIGMA_MM = 3.5
APERTURE_MARGIN_MM = 7.0
TRANSMISSION = 0.02
LUNG_DENSITY = 0.25
POLYGON_VERTICES = 48


@dataclass
class Shape:
    name: str
    kind: str                 # "ellipsoid" or "cylinder" (z from z0 to z1)
    centre: tuple[float, float, float]
    semi: tuple[float, float, float]
    z_range: tuple[float, float] = (-1e9, 1e9)
    density: float = 1.0


@dataclass
class Site:
    name: str
    rx_gy: float
    fractions: int
    pixel_mm: float
    slice_mm: float
    columns: int
    rows: int
    slices: int
    body: Shape
    ptv: Shape
    organs: list[tuple[str, list[Shape]]]     # ROI name -> its shapes (several for a paired organ in one ROI)
    gantry: list[float]
    priority: tuple[str, str]                  # (structure, metric) minimised by forward planning
    secondary: list[tuple[str, str]]          # constraints that decide approval
    lungs: list[Shape] = field(default_factory=list)


def build_site(site: str, rng: np.random.Generator) -> Site:
    j = lambda s: float(rng.uniform(-s, s))  # noqa: E731
    if site == "prostate":
        ptv = Shape("PTV", "ellipsoid", (j(3), 8 + j(3), j(3)), (24 + j(3), 21 + j(2), 24 + j(3)))
        rect_y = ptv.centre[1] + ptv.semi[1] + 6 + j(2)
        organs = [
            ("Rectum", [Shape("Rectum", "cylinder", (j(2), rect_y, 0), (15 + j(2), 12 + j(1), 0), (-45, 45))]),
            ("Bladder", [Shape("Bladder", "ellipsoid", (j(4), ptv.centre[1] - 30 + j(3), 24 + j(4)), (34 + j(3), 26 + j(3), 26))]),
            ("FemoralHead_L", [Shape("FemoralHead_L", "ellipsoid", (92 + j(3), 10, 0), (22, 22, 22))]),
            ("FemoralHead_R", [Shape("FemoralHead_R", "ellipsoid", (-92 + j(3), 10, 0), (22, 22, 22))]),
        ]
        return Site("prostate", 60.0, 20, 5.0, 3.0, 64, 64, 36,
                    Shape("BODY", "cylinder", (0, 0, 0), (150 + j(6), 105 + j(5), 0)), ptv, organs,
                    [0.0, 55.0, 100.0, 260.0, 305.0], ("Rectum", "Dmean"),
                    [("Rectum", "V54Gy"), ("Bladder", "V48Gy"), ("FemoralHead_L", "Dmax"), ("FemoralHead_R", "Dmax")])
    if site == "head_neck":
        ptv = Shape("PTV", "ellipsoid", (24 + j(3), -6 + j(3), j(3)), (17 + j(2), 18 + j(2), 20 + j(3)))
        organs = [
            ("SpinalCord", [Shape("SpinalCord", "cylinder", (j(1), 34 + j(2), 0), (5, 5, 0), (-60, 60))]),
            ("Parotid_L", [Shape("Parotid_L", "ellipsoid", (44 + j(2), 12 + j(3), 4 + j(3)), (12, 15, 16))]),
            ("Parotid_R", [Shape("Parotid_R", "ellipsoid", (-44 + j(2), 12 + j(3), 4 + j(3)), (12, 15, 16))]),
        ]
        return Site("head_neck", 66.0, 33, 3.0, 3.0, 64, 64, 36,
                    Shape("BODY", "cylinder", (0, 6, 0), (70 + j(3), 66 + j(3), 0)), ptv, organs,
                    [0.0, 40.0, 80.0, 130.0, 180.0, 320.0], ("Parotid_R", "Dmean"),
                    [("SpinalCord", "Dmax"), ("Parotid_L", "Dmean")])
    if site == "lung":
        lungs = [Shape("Lung_R", "ellipsoid", (-68, 0, 0), (48, 62, 90), density=LUNG_DENSITY),
                 Shape("Lung_L", "ellipsoid", (68, 0, 0), (48, 62, 90), density=LUNG_DENSITY)]
        ptv = Shape("PTV", "ellipsoid", (-66 + j(6), j(8), j(4)), (20 + j(3), 20 + j(3), 22 + j(3)))
        organs = [
            ("Lungs", lungs),
            ("SpinalCord", [Shape("SpinalCord", "cylinder", (j(1), 80 + j(2), 0), (6, 6, 0), (-60, 60))]),
            ("Heart", [Shape("Heart", "ellipsoid", (22 + j(4), -30 + j(4), -10), (42, 38, 40))]),
        ]
        return Site("lung", 60.0, 30, 5.0, 3.0, 64, 64, 36,
                    Shape("BODY", "cylinder", (0, 0, 0), (150 + j(5), 105 + j(5), 0)), ptv, organs,
                    [0.0, 50.0, 100.0, 150.0, 200.0, 270.0], ("Lungs", "Dmean"),
                    [("Lungs", "V20Gy"), ("SpinalCord", "Dmax"), ("Heart", "Dmean")], lungs)
    raise ValueError(f"unknown site {site!r}")


@dataclass
class Grid:
    origin: tuple[float, float, float]   # centre of the first voxel (ImagePositionPatient of the first slice)
    spacing: tuple[float, float, float]  # (x: column, y: row, z: slice)
    shape: tuple[int, int, int]          # (slices, rows, columns)

    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nz, ny, nx = self.shape
        return (self.origin[0] + self.spacing[0] * np.arange(nx), self.origin[1] + self.spacing[1] * np.arange(ny),
                self.origin[2] + self.spacing[2] * np.arange(nz))


def site_grid(site: Site) -> Grid:
    return Grid((-site.pixel_mm * (site.columns - 1) / 2, -site.pixel_mm * (site.rows - 1) / 2,
                 -site.slice_mm * (site.slices - 1) / 2), (site.pixel_mm, site.pixel_mm, site.slice_mm),
                (site.slices, site.rows, site.columns))


def section(shape: Shape, z: float) -> tuple[float, float] | None:
    """The (a, b) semi-axes of the shape's axial section at z, None when it does not cut this slice."""
    if shape.kind == "cylinder":
        if not shape.z_range[0] <= z <= shape.z_range[1]:
            return None
        return shape.semi[0], shape.semi[1]
    t = 1 - ((z - shape.centre[2]) / shape.semi[2]) ** 2
    if t < 0.06:
        return None
    return shape.semi[0] * math.sqrt(t), shape.semi[1] * math.sqrt(t)


def polygon(shape: Shape, z: float) -> list[tuple[float, float]] | None:
    axes = section(shape, z)
    if axes is None:
        return None
    angles = np.arange(POLYGON_VERTICES) * 2 * math.pi / POLYGON_VERTICES
    return [(round(shape.centre[0] + axes[0] * math.cos(a), 2), round(shape.centre[1] + axes[1] * math.sin(a), 2))
            for a in angles]


def contours(site: Site, grid: Grid) -> dict[str, list[tuple[float, list[tuple[float, float]]]]]:
    """ROI name -> [(z, polygon)] on the CT slice positions."""
    _, _, zs = grid.axes()
    rois = {"BODY": [site.body], "PTV": [site.ptv], **dict(site.organs)}
    out: dict[str, list[tuple[float, list[tuple[float, float]]]]] = {}
    for name, shapes in rois.items():
        out[name] = [(float(z), poly) for z in zs for s in shapes if (poly := polygon(s, float(z))) is not None]
    return out


def inside_polygon(xs: np.ndarray, ys: np.ndarray, poly: list[tuple[float, float]]) -> np.ndarray:
    """Even-odd test of the points (xs, ys) (same shape) against a closed polygon."""
    inside = np.zeros(xs.shape, dtype=bool)
    px = np.array([p[0] for p in poly])
    py = np.array([p[1] for p in poly])
    for i in range(len(poly)):
        x1, y1, x2, y2 = px[i - 1], py[i - 1], px[i], py[i]
        crosses = (y1 > ys) != (y2 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (xs < x_at)
    return inside


def rasterise(roi: list[tuple[float, list[tuple[float, float]]]], grid: Grid) -> np.ndarray:
    """Voxels whose centre lies inside the ROI's contour on their slice (several contours: even-odd)."""
    x, y, zs = grid.axes()
    xx, yy = np.meshgrid(x, y)
    mask = np.zeros(grid.shape, dtype=bool)
    for z, poly in roi:
        k = int(np.argmin(np.abs(zs - z)))
        if abs(zs[k] - z) < 0.01:
            mask[k] ^= inside_polygon(xx, yy, poly)
    return mask


def density(site: Site, grid: Grid, masks: dict[str, np.ndarray]) -> np.ndarray:
    rho = masks["BODY"].astype(float)
    for lung in site.lungs:
        rho[rasterise(contours_of(lung, grid), grid) & masks["BODY"]] = lung.density
    return rho


def contours_of(shape: Shape, grid: Grid) -> list[tuple[float, list[tuple[float, float]]]]:
    _, _, zs = grid.axes()
    return [(float(z), poly) for z in zs if (poly := polygon(shape, float(z))) is not None]


def hounsfield(rho: np.ndarray) -> np.ndarray:
    hu = np.where(rho > 0, 1000.0 * (rho - 1.0), -1000.0)
    return np.round(hu).astype(np.int16)


def beam_dose(site: Site, grid: Grid, rho: np.ndarray, body: np.ndarray, gantry_deg: float) -> np.ndarray:
    """Relative dose of one conformal beam on the grid (not yet scaled to Gy)."""
    g = math.radians(gantry_deg)
    source = np.array([math.sin(g), -math.cos(g)])        # unit vector towards the source, axial plane
    lateral = np.array([math.cos(g), math.sin(g)])
    x, y, zs = grid.axes()
    xx, yy = np.meshgrid(x, y)
    t = xx * source[0] + yy * source[1]
    u = xx * lateral[0] + yy * lateral[1]
    # radiological depth: march from each voxel towards the source through the density grid
    step = 2.0
    _nz, ny, nx = grid.shape
    reach = math.hypot(nx * grid.spacing[0], ny * grid.spacing[1])
    depth = np.zeros(grid.shape)
    for s in np.arange(step / 2, reach, step):
        ix = np.rint((xx + source[0] * s - grid.origin[0]) / grid.spacing[0]).astype(int)
        iy = np.rint((yy + source[1] * s - grid.origin[1]) / grid.spacing[1]).astype(int)
        ok = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        depth[:, ok] += rho[:, iy[ok], ix[ok]] * step
    # aperture: per slice, the PTV section's projection on the lateral axis plus the margin
    ptv_z = [z for z in zs if section(site.ptv, float(z)) is not None]
    z_lo, z_hi = min(ptv_z) - APERTURE_MARGIN_MM, max(ptv_z) + APERTURE_MARGIN_MM
    dose = np.zeros(grid.shape)
    sig = PENUMBRA_SIGMA_MM * math.sqrt(2)
    for k, z in enumerate(zs):
        nearest = min(ptv_z, key=lambda pz: abs(pz - z))
        poly = np.array(polygon(site.ptv, float(nearest)))
        proj = poly @ lateral
        u1, u2 = proj.min() - APERTURE_MARGIN_MM, proj.max() + APERTURE_MARGIN_MM
        across = 0.5 * (erf((u - u1) / sig) - erf((u - u2) / sig))
        along = 0.5 * (erf((z - z_lo) / sig) - erf((z - z_hi) / sig))
        fluence = TRANSMISSION + (1 - TRANSMISSION) * across * along
        d = depth[k]
        pdd = (1 - 0.6 * np.exp(-d / BUILDUP_MM)) * np.exp(-MU_PER_MM * d)
        dose[k] = fluence * pdd * (SAD_MM / (SAD_MM - t)) ** 2
    return dose * (rho > 0) * body

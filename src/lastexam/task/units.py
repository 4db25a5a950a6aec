"""Quantities with units: ``"12.5 kPa"``, ``"12 500 Pa"``, ``"3.2 mm"`` read as a number in a wanted unit.

A small explicit table per dimension (SI prefixes and the customary units the tasks meet), not a
general units engine: a unit the table does not know is an error of the grader (``KeyError``), and
text in a unit of another dimension reads as no value at all.
"""

from __future__ import annotations

import re
from typing import Any

from lastexam.task.values import as_number

# unit -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {}


def _add(dimension: str, units: dict[str, float]) -> None:
    for name, factor in units.items():
        _UNITS[name] = (dimension, factor)


_add("length", {"m": 1, "km": 1e3, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9,
                "in": 0.0254, "ft": 0.3048, "yd": 0.9144, "mi": 1609.344, "pt": 0.0254 / 72})
_add("area", {"m2": 1, "m²": 1, "km2": 1e6, "km²": 1e6, "cm2": 1e-4, "mm2": 1e-6, "mm²": 1e-6, "ha": 1e4,
              "ft2": 0.09290304, "ft²": 0.09290304, "acre": 4046.8564224})
_add("volume", {"m3": 1, "m³": 1, "l": 1e-3, "L": 1e-3, "ml": 1e-6, "mL": 1e-6, "gal": 3.785411784e-3})
_add("mass", {"kg": 1, "g": 1e-3, "mg": 1e-6, "t": 1e3, "lb": 0.45359237})
_add("time", {"s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "min": 60, "h": 3600, "d": 86400})
_add("frequency", {"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9})
_add("pressure", {"Pa": 1, "kPa": 1e3, "MPa": 1e6, "GPa": 1e9, "bar": 1e5, "mbar": 1e2, "psi": 6894.757293168,
                  "N/mm2": 1e6, "N/mm²": 1e6, "kN/m2": 1e3, "kN/m²": 1e3})
_add("force", {"N": 1, "kN": 1e3, "MN": 1e6, "lbf": 4.4482216152605})
_add("energy", {"J": 1, "kJ": 1e3, "MJ": 1e6, "Wh": 3600, "kWh": 3.6e6})
_add("power", {"W": 1, "kW": 1e3, "MW": 1e6, "mW": 1e-3})
_add("voltage", {"V": 1, "mV": 1e-3, "kV": 1e3, "uV": 1e-6, "µV": 1e-6})
_add("current", {"A": 1, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6})
_add("resistance", {"ohm": 1, "Ω": 1, "kohm": 1e3, "kΩ": 1e3, "Mohm": 1e6, "MΩ": 1e6})
_add("capacitance", {"F": 1, "mF": 1e-3, "uF": 1e-6, "µF": 1e-6, "nF": 1e-9, "pF": 1e-12})
_add("flow", {"m3/s": 1, "m³/s": 1, "l/s": 1e-3, "L/s": 1e-3, "l/min": 1e-3 / 60, "L/min": 1e-3 / 60,
              "gpm": 3.785411784e-3 / 60, "m3/h": 1 / 3600, "m³/h": 1 / 3600})
_add("speed", {"m/s": 1, "km/h": 1 / 3.6, "mph": 0.44704})
_add("level", {"dB": 1, "LUFS": 1, "LU": 1, "dBFS": 1, "dBTP": 1})
_add("fraction", {"": 1, "%": 1e-2})

_QUANTITY = re.compile(r"^\s*(?P<number>[-+]?[\d\s,.\u00a0\u202f]*\d(?:[eE][-+]?\d+)?)\s*(?P<unit>\S*?)\s*$")


def dimension_of(unit: str) -> str:
    """The dimension a unit measures (``"kPa"`` -> ``"pressure"``). Raises KeyError for an unknown unit."""
    if unit not in _UNITS:
        raise KeyError(f"unknown unit {unit!r}; known: {', '.join(sorted(u for u in _UNITS if u))}")
    return _UNITS[unit][0]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``. Raises KeyError for an unknown unit and
    ValueError for units of different dimensions."""
    if dimension_of(from_unit) != dimension_of(to_unit):
        raise ValueError(f"cannot convert {from_unit!r} ({dimension_of(from_unit)}) to {to_unit!r} "
                         f"({dimension_of(to_unit)})")
    return value * _UNITS[from_unit][1] / _UNITS[to_unit][1]


def parse_quantity(value: Any, unit: str) -> float | None:
    """The quantity ``value`` expressed in ``unit``, or None when it is not one of its dimension.

    A bare number (or numeric text without a unit) is taken to be in ``unit`` already; text with a
    unit of the same dimension is converted (``"12 500 Pa"`` in ``"kPa"`` is 12.5). Raises KeyError
    when ``unit`` itself is unknown (a grader bug).
    """
    dimension = dimension_of(unit)
    if isinstance(value, (int, float)) or value is None:
        return as_number(value)
    match = _QUANTITY.match(str(value))
    if match is None:
        return None
    number = as_number(match.group("number").replace(" ", "").replace("\u00a0", "").replace("\u202f", ""))
    written = match.group("unit")
    if number is None:
        return None
    if not written:
        return number
    known = _UNITS.get(written)
    if known is None or known[0] != dimension:
        return None
    return convert(number, written, unit)

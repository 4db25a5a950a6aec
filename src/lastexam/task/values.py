"""Reading values an agent wrote: numbers from text, closeness, and text normalised for comparison."""

from __future__ import annotations

import math
import re
from typing import Any

_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))")
_SPACE = re.compile(r"\s+")


def as_number(value: Any) -> float | None:
    """A finite float from a number or a numeric string, else None.

    Strings may carry thousands separators (``1,234``, ``1 234``), a currency sign (``$``) or a
    percent sign, which are dropped (``"12%"`` is 12.0). Booleans, NaN and infinities are None.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = _THOUSANDS.sub("", str(value).strip()).replace(",", "").replace("$", "").replace("%", "")
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def is_close(found: Any, expected: float, *, abs_tol: float = 0.0, rel_tol: float = 0.0) -> bool:
    """Whether ``found`` reads as a number (see ``as_number``) within either tolerance of ``expected``."""
    value = as_number(found)
    return value is not None and math.isfinite(expected) and math.isclose(value, expected, abs_tol=abs_tol,
                                                                            rel_tol=rel_tol)


def normalize_text(value: Any) -> str:
    """Text for a lenient comparison: trimmed, inner whitespace runs made one space, case folded, and
    thousands separators between digits removed (``" ACME  Ltd "`` and ``"acme ltd"`` compare equal,
    as do ``"1,250"`` and ``"1250"``). None is the empty string."""
    text = "" if value is None else str(value)
    return _SPACE.sub(" ", _THOUSANDS.sub("", text)).strip().casefold()

"""The integration sign-off: the SoC operating points the block will run at, and which of them it supports.

ALE-CANARY-8d1aeb33-803c-43e3-a3d1-3a07050f4b0e

The integration team's note lists the product's operating points (a clock and a line rate each) and the
facts a sign-off weighs: the link partner's receive tolerance and transmit accuracy, the receiver's
verified tolerance (spec section 7) and, with a receive FIFO, how late firmware may serve it. Every
instance holds points the block supports, drawn from the seed with a clear margin on every criterion,
and, unless the variant's ``integration`` kind is ``ready``, one point that fails exactly one criterion
of that kind: ``parameter_range`` (CLKS_PER_BIT below 16), ``bit_rate_error`` (the divider's rounding
error outside the link budget) or ``fifo_overrun`` (more characters arrive before service than the FIFO
holds).
"""

from __future__ import annotations

import math
import random
from typing import Any

CLOCKS_HZ = [1_843_200, 2_000_000, 3_000_000, 3_686_400, 4_000_000, 6_000_000, 7_372_800, 8_000_000, 10_000_000,
             11_059_200, 12_000_000, 14_745_600, 16_000_000, 18_432_000, 20_000_000, 24_000_000, 25_000_000,
             32_000_000, 40_000_000, 48_000_000, 50_000_000]
BAUDS = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 250_000, 460_800, 500_000, 921_600, 1_000_000,
         1_500_000, 2_000_000]
RX_TOLERANCE_PERCENT = 2.0  # spec section 7
MIN_CLKS_PER_BIT = 16  # spec section 2
MARGIN_PERCENT = 0.15  # no drawn point lies closer than this to a rate limit
REASONS = ("parameter_range", "bit_rate_error", "fifo_overrun")
ROLES = ["bring-up and production test", "field service port", "low-power mode (divided clock)",
         "high-speed firmware update", "factory calibration", "fallback PLL setting"]


def clks_per_bit(clk_hz: int, baud: int) -> int:
    return (clk_hz + baud // 2) // baud


def rate_error_percent(clk_hz: int, baud: int) -> float:
    """Signed error of the line rate the divider gives (positive: faster than nominal)."""
    return (clk_hz / clks_per_bit(clk_hz, baud) / baud - 1) * 100


def rx_mismatch_percent(error: float, partner_accuracy: float) -> float:
    """Worst rate mismatch our receiver sees: partner at nominal +/- its accuracy, us at nominal + error."""
    return max(abs((1 + s * partner_accuracy / 100) / (1 + error / 100) - 1) * 100 for s in (1, -1))


def characters_waiting(baud: int, frame_bits: int, latency_us: float) -> int:
    """Characters in the FIFO when firmware serves it: the first lands at 0, back to back after it."""
    return math.floor(latency_us * 1e-6 * baud / frame_bits) + 1


def assess(clk_hz: int, baud: int, facts: dict[str, Any]) -> list[str]:
    """The criteria one operating point fails (empty: supported)."""
    error = rate_error_percent(clk_hz, baud)
    failed = []
    if clks_per_bit(clk_hz, baud) < MIN_CLKS_PER_BIT:
        failed.append("parameter_range")
    if (abs(error) > facts["partner_rx_tolerance_percent"]
            or rx_mismatch_percent(error, facts["partner_tx_accuracy_percent"]) > RX_TOLERANCE_PERCENT):
        failed.append("bit_rate_error")
    if facts["rx_fifo_depth"] and characters_waiting(baud, facts["frame_bits"], facts["rx_service_latency_us"]) \
            > facts["rx_fifo_depth"]:
        failed.append("fifo_overrun")
    return failed


def _clear(clk_hz: int, baud: int, facts: dict[str, Any]) -> bool:
    """No criterion of the point is within a margin of its limit (so no fair reading of the note flips it)."""
    error = rate_error_percent(clk_hz, baud)
    limits = [(abs(error), facts["partner_rx_tolerance_percent"]),
              (rx_mismatch_percent(error, facts["partner_tx_accuracy_percent"]), RX_TOLERANCE_PERCENT)]
    if any(abs(value - limit) < MARGIN_PERCENT for value, limit in limits):
        return False
    fill = facts["rx_service_latency_us"] * 1e-6 * baud / facts["frame_bits"]
    return not facts["rx_fifo_depth"] or abs(fill - facts["rx_fifo_depth"]) > 0.2


def operating_points(p: dict[str, Any], frame_bits: int) -> dict[str, Any]:
    """The note's facts and points for variant params ``p``, with the reference assessment of each point."""
    rng = random.Random(f"uart-integration-{p['seed']}")
    kind = p["integration"]
    facts: dict[str, Any] = {
        "partner_rx_tolerance_percent": rng.choice([1.0, 1.25, 1.5]),
        "partner_tx_accuracy_percent": rng.choice([0.1, 0.2, 0.3]),
        "rx_fifo_depth": p["fifo"], "frame_bits": frame_bits, "rx_service_latency_us": 0.0,
    }
    pairs = [(c, b) for c in CLOCKS_HZ for b in BAUDS]

    def fits(clk: int, baud: int, failing: list[str]) -> bool:
        return assess(clk, baud, facts) == failing and _clear(clk, baud, facts)

    bad = None
    if kind == "fifo_overrun":
        # firmware serves the FIFO just too late for one faster rate of the product
        faster = [(c, b) for c, b in pairs if b >= 1.5 * p["baud"] and fits(c, b, [])]
        bad = rng.choice(faster)
        fill = p["fifo"] + rng.uniform(0.3, 0.7)
        facts["rx_service_latency_us"] = round(fill * frame_bits / bad[1] * 1e6, 1)
    elif p["fifo"]:
        facts["rx_service_latency_us"] = round(p["fifo"] * rng.uniform(0.55, 0.7) * frame_bits / p["baud"] * 1e6, 1)
    elif kind != "ready":
        bad = rng.choice([(c, b) for c, b in pairs if fits(c, b, [kind]) and clks_per_bit(c, b) >= 8])
    if bad is not None and not fits(*bad, [kind]):
        raise ValueError(f"no operating point fails only {kind} for variant {p['label']}")
    good = [pt for pt in pairs if pt[1] <= p["baud"] and fits(*pt, []) and pt != (p["clk_hz"], p["baud"])]
    rng.shuffle(good)
    # at least one supported point whose divider rounds up, so truncating instead of rounding shows
    rounded_up = next(pt for pt in good if (pt[0] % pt[1]) * 2 >= pt[1])
    others = [rounded_up, *[pt for pt in good if pt != rounded_up][:2 if bad is None else 1]]
    others += [bad] if bad is not None else []
    if not fits(p["clk_hz"], p["baud"], []):
        raise ValueError(f"the default pair of variant {p['label']} is not clearly supported")
    rng.shuffle(others)
    roles = rng.sample(ROLES, len(others))
    points = []
    for n, (clk, baud) in enumerate([(p["clk_hz"], p["baud"]), *others]):
        failed = assess(clk, baud, facts)
        points.append({
            "name": f"OP{n + 1}", "role": "default (spec parameters)" if n == 0 else roles[n - 1],
            "clk_hz": clk, "baud": baud, "clks_per_bit": clks_per_bit(clk, baud),
            "bit_rate_error_percent": rate_error_percent(clk, baud), "supported": not failed,
            "reason": failed[0] if failed else None,
        })
    return {"facts": facts, "points": points, "ready": all(pt["supported"] for pt in points)}

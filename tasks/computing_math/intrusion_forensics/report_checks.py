"""Checks of the incident report's decisions: containment, breach notification and the management summary.

The reference decisions were derived in ``generate`` from the scene (which hosts ran attacker code,
which account was guessed) and from the stolen file's rows under Northwind's procedure
(data/ir_policy.md), so they hold only for an agent that recovered the right file and read it.

ALE-CANARY-4ade4d2e-b6cb-41f8-b293-fdbab00495a3
"""

from __future__ import annotations

import re
from typing import Any

from lastexam.task import Grading


def _names(value: Any) -> set[str] | None:
    """A JSON list of strings as a set of trimmed names, or None when it is not one."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return {v.strip() for v in value}


def _account(name: str) -> str:
    """An account name as the reference writes it: `id:<user id>` with any case or spacing, a login as it is."""
    by_id = re.fullmatch(r"id\s*:\s*(\d+)", name, flags=re.IGNORECASE)
    return f"id:{by_id.group(1)}" if by_id else name


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


def _set_verdict(label: str, found: set[str] | None, expected: list[str]) -> str:
    if found is None:
        return f"{label} is not a list of names"
    want = set(expected)
    parts = [f"missing {sorted(want - found)[:5]}" if want - found else "",
             f"should not be there {sorted(found - want)[:5]}" if found - want else ""]
    return f"{label}: " + ", ".join(p for p in parts if p) if found != want else ""


def check_containment(g: Grading, ref: dict[str, Any], report: dict[str, Any]) -> None:
    """Hosts to isolate and accounts to reset, as the procedure's section 1 decides them."""
    block = report.get("containment") if isinstance(report.get("containment"), dict) else {}
    truth = ref["containment"]
    accounts = _names(block.get("reset_accounts"))
    wrong = [v for v in (
        _set_verdict("isolate_hosts", _names(block.get("isolate_hosts")), truth["isolate_hosts"]),
        _set_verdict("reset_accounts", None if accounts is None else {_account(a) for a in accounts},
                     truth["reset_accounts"]),
    ) if v]
    g.check("decision: hosts to isolate and accounts to reset under the procedure", not wrong, weight=1.5,
            expected={"isolate_hosts": truth["isolate_hosts"], "reset_accounts": f"{len(truth['reset_accounts'])} accounts"},
            reason="; ".join(wrong))


def check_notification(g: Grading, ref: dict[str, Any], report: dict[str, Any]) -> None:
    """The breach verdicts (authority, data subjects) and the people counted per the procedure's section 2."""
    block = report.get("breach_notification") if isinstance(report.get("breach_notification"), dict) else {}
    truth = ref["notification"]
    verdicts = [f"{key} {block.get(key)!r}, want {truth[key]}" for key in
                ("personal_data_breach", "notify_authority", "notify_data_subjects") if block.get(key) is not truth[key]]
    g.check("decision: breach notification duties (authority, data subjects)", not verdicts, weight=1.5,
            expected={k: truth[k] for k in ("personal_data_breach", "notify_authority", "notify_data_subjects")},
            reason="; ".join(verdicts))
    counts = [f"{key} {block.get(key)!r}, want {truth[key]}" for key in
              ("data_subjects_affected", "data_subjects_to_notify") if _integer(block.get(key)) != truth[key]]
    g.check("decision: people whose data left and people to notify, counted per person", not counts, weight=1.5,
            expected={k: truth[k] for k in ("data_subjects_affected", "data_subjects_to_notify")},
            reason="; ".join(counts))


def check_summary(g: Grading, ref: dict[str, Any], report: dict[str, Any]) -> None:
    """The management summary names patient zero, the guessed account, where the data went and how many people."""
    text = report.get("summary") if isinstance(report.get("summary"), str) else ""
    lowered = text.lower()
    numbers = {int(n.replace(",", "")) for n in re.findall(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w])|(?<![\w.])\d+(?![\w])",
                                                           text)}
    patient_zero = ref["compromised_hosts"][0]
    missing = [what for what, ok in (
        (f"patient-zero host {patient_zero}", re.search(rf"(?<![\d.]){re.escape(patient_zero)}(?![\d])", text)),
        (f"guessed account {ref['compromised_account']}",
         re.search(rf"\b{re.escape(ref['compromised_account'])}\b", lowered)),
        (f"exfiltration destination {ref['exfil_destination']}", ref["exfil_destination"].lower() in lowered),
        (f"{ref['notification']['data_subjects_affected']} people affected",
         ref["notification"]["data_subjects_affected"] in numbers),
    ) if not ok]
    g.check("report summary names patient zero, the guessed account, the destination and the people affected",
            bool(text.strip()) and not missing, reason="missing: " + "; ".join(missing) if missing else "")

"""The three policies and their notices, drawn from the seed.

A policy is a title and sections of numbered clauses; a notice is a list of items, each with its prose
and the edits it implies. An edit is (clause, kind, old, new): ``replace`` old by new inside the clause,
``insert`` new at the end of the clause, ``delete`` the whole clause. The notice's prose states what the
edits are without naming every clause: the judgement items leave the agent to find a second clause, or
to change only one of two similar clauses. Which clauses the notice touches, the kind of edit an obsolete
provision gets, where the new sentence goes and the items' order are drawn per seed from a stream of their
own, so that the redline of one instance is no answer to another.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

COMPANIES = ["Harwell Logistics plc", "Northgate Components Ltd", "Avonmere Foods plc", "Kestrel Marine Services Ltd",
             "Brightwater Analytics Ltd", "Calder Engineering Group plc", "Penrose Retail Holdings plc"]
OFFICERS = ["Priya Raman", "Tomasz Wojcik", "Hannah Okafor", "Daniel Ferreira", "Eleanor Whitcombe", "Samuel Adeyemi",
            "Ingrid Solberg", "Marcus Lindqvist"]
WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 10: "ten", 12: "twelve"}


# Where a notice may put its new sentence, and the sentence, per policy
NEW_SENTENCES = {
    "gifts_hospitality": [
        ("3.1", "Cash or cash equivalents, including gift cards and vouchers, must never be given or accepted, "
                "whatever their value."),
        ("5.1", "This prohibition extends to Gifts offered through family members, agents or other intermediaries."),
        ("1.2", "It also applies to agents and consultants who act for the Company.")],
    "record_retention": [
        ("5.2", "Destruction is suspended for any record that is subject to a legal hold notified by the Legal "
                "Department."),
        ("4.2", "Access rights to the archive are reviewed every six months by the department head."),
        ("1.2", "It also applies to records that third parties hold for the Firm.")],
    "expenses": [
        ("4.1", "Claims for alcohol are not reimbursed unless the Finance Director has approved them in advance."),
        ("5.3", "Nor may they approve the claims of members of their own family."),
        ("2.1", "Late claims are paid only with the approval of the Line Manager.")],
}


@dataclass
class Edit:
    item: int
    clause: str
    kind: str  # replace | insert | delete
    old: str = ""
    new: str = ""


@dataclass
class Policy:
    title: str
    sections: list[tuple[str, str, list[tuple[str, str]]]]  # (number, heading, [(clause, text)])
    notice_title: str
    notice_intro: str
    items: list[tuple[int, str]] = field(default_factory=list)  # (number, prose)
    edits: list[Edit] = field(default_factory=list)

    def clauses(self) -> dict[str, str]:
        return {c: t for _, _, body in self.sections for c, t in body}


def _insertion(lay: random.Random, obsolete: str, options: list[tuple[str, str]]) -> tuple[str, str]:
    """Where the new sentence goes and what it says: never at the end of the clause just before an omitted
    one (the insertion would run into the deletion and the two read as one change)."""
    def after(clause: str) -> str:
        section, number = clause.split(".")
        return f"{section}.{int(number) + 1}"
    return lay.choice([(c, t) for c, t in options if obsolete != f"omit {after(c)}"])


def _numbered(lay: random.Random, items: list[tuple[str, list[Edit]]]) -> tuple[list, list[Edit]]:
    """The notice's items in an order drawn for this seed, numbered, with their edits."""
    lay.shuffle(items)
    numbered, edits = [], []
    for number, (prose, item_edits) in enumerate(items, 1):
        numbered.append((number, prose))
        edits += [Edit(number, e.clause, e.kind, e.old, e.new) for e in item_edits]
    return numbered, edits


def _gifts(rng: random.Random, lay: random.Random, company: str) -> Policy:
    old, new = rng.choice([(50, 75), (50, 100), (75, 100), (100, 150), (40, 60)])
    hosp = rng.choice([150, 200, 250])
    days = rng.choice([5, 10])
    keep_old, keep_new = rng.choice([(5, 7), (5, 6), (6, 10)])
    year = rng.choice([2024, 2025])
    report = f"IA-{year + 1}-{rng.randint(3, 11):02d}"
    # which other provisions restate the gift limit, which approval changes, what becomes of the obsolete
    # provision and where the new sentence goes: drawn per seed, so no instance's redline fits another's
    restate = lay.choice([("6.1",), ("7.1",), ("6.1", "7.1")])
    case, other = lay.choice([("public officials", "business partners"), ("business partners", "public officials")])
    obsolete = lay.choice(["omit 7.2", "replace 7.2", "omit 3.2"])
    into, sentence = _insertion(lay, obsolete, NEW_SENTENCES["gifts_hospitality"])
    if lay.random() < 0.5:  # the hospitality threshold may state the same amount as the gift limit
        hosp = old
    register = (f"Any Gift above GBP {old} must be recorded" if "6.1" in restate else
                "Every Gift accepted must be recorded")
    review = ("The Compliance Officer reviews the Register every quarter" +
              (f", including each Gift above GBP {old}," if "7.1" in restate else "") +
              " and reports exceptions to the Audit Committee.")
    p = Policy(
        title=f"{company}: Anti-Bribery, Gifts and Hospitality Policy",
        sections=[
            ("1", "Purpose and scope", [
                ("1.1", f"This policy sets out how employees, officers and contractors of {company} (the \"Company\") "
                        "give and receive gifts and hospitality without breaching the Bribery Act 2010."),
                ("1.2", "It applies to every business unit and subsidiary of the Company, in every country in which "
                        "the Company operates.")]),
            ("2", "Definitions", [
                ("2.1", "\"Gift\" means any item, service or benefit of value given or received without charge."),
                ("2.2", "\"Hospitality\" means meals, entertainment, travel or accommodation offered or accepted in "
                        "the course of business."),
                ("2.3", "\"Public Official\" means any person holding a legislative, administrative or judicial "
                        "office, or employed by a state-owned enterprise or public international organisation.")]),
            ("3", "General principles", [
                ("3.1", "No Gift or Hospitality may be given or accepted if it could reasonably be seen as intended "
                        "to influence a business decision."),
                ("3.2", "Employees must refuse any Gift or Hospitality offered during a live tender in which the "
                        "giver is a bidder.")]),
            ("4", "Gifts and hospitality with business partners", [
                ("4.1", "Gifts must be modest, occasional and appropriate to the business relationship."),
                ("4.2", f"Gifts with a value of up to GBP {old} may be accepted without prior approval, provided "
                        "that they are declared to the Line Manager."),
                ("4.3", f"Hospitality received with a value above GBP {hosp} per person requires the prior approval "
                        "of the Line Manager."),
                ("4.4", "Hospitality offered to business partners must be approved in advance by the Line Manager "
                        "and recorded in the Register.")]),
            ("5", "Public Officials", [
                ("5.1", "No Gift of any value may be offered to a Public Official."),
                ("5.2", "Hospitality offered to public officials must be approved in advance by the Line Manager "
                        "and recorded in the Register.")]),
            ("6", "Gifts and Hospitality Register", [
                ("6.1", f"{register} in the Gifts and Hospitality Register (the "
                        f"\"Register\") within {WORDS[days]} working days of receipt."),
                ("6.2", f"Register entries are retained for {WORDS[keep_old]} years after the end of the financial "
                        "year in which they were made.")]),
            ("7", "Monitoring and reporting", [
                ("7.1", review),
                ("7.2", "Quarterly returns of the Register are also submitted to the Ethics Committee, which may "
                        "direct further review."),
                ("7.3", "Breaches of this policy may lead to disciplinary action, up to and including dismissal.")]),
        ],
        notice_title=f"Internal Audit Report {report}: Gifts and Hospitality, agreed actions",
        notice_intro=("Scope: the Company's Anti-Bribery, Gifts and Hospitality Policy and the operation of the "
                      "Register over the last financial year. Management has agreed the actions below; the Policy "
                      "is to be amended accordingly before the next Audit Committee."),
    )
    clause_of = {"public officials": "5.2", "business partners": "4.4"}
    if obsolete == "omit 7.2":
        gone = (f"Finding: the Ethics Committee was dissolved in {year}, so the provision for returns to it is "
                "obsolete. Agreed action: omit that provision (the clauses that follow keep their numbers).",
                [Edit(0, "7.2", "delete")])
    elif obsolete == "replace 7.2":
        gone = (f"Finding: the Ethics Committee was dissolved in {year} and its remit passed to the Risk Committee. "
                "Agreed action: in clause 7.2, for \"Ethics Committee\" substitute \"Risk Committee\".",
                [Edit(0, "7.2", "replace", "Ethics Committee", "Risk Committee")])
    else:
        gone = ("Finding: the rule on gifts and hospitality offered during a live tender now sits in the Procurement "
                "Policy, and the two texts have drifted apart. Agreed action: omit the provision on live tenders "
                "from this Policy (the clauses that follow keep their numbers).", [Edit(0, "3.2", "delete")])
    items = [
        (f"Finding: the gift limit of GBP {old} has not been reviewed since it was set and is out of line with "
         f"peer practice. Agreed action: the limit for accepting a gift without prior approval becomes "
         f"GBP {new} (clause 4.2: for \"GBP {old}\" substitute \"GBP {new}\"). Every other provision of the "
         f"Policy that still states the old gift limit is to be brought into line with it. The threshold "
         f"for hospitality received is not changed.",
         [Edit(0, c, "replace", f"GBP {old}", f"GBP {new}") for c in ("4.2", *restate)]),
        (f"Finding: hospitality for {case} has been approved by line managers without any compliance review. "
         f"Agreed action: hospitality offered to {case} must in future be approved in advance by the Compliance "
         f"Officer instead of the Line Manager. Approval of hospitality for {other} is unchanged.",
         [Edit(0, clause_of[case], "replace", "Line Manager", "Compliance Officer")]),
        (f"Finding: Register entries are needed for longer than the current retention period for investigations. "
         f"Agreed action: in clause 6.2, for \"{WORDS[keep_old]} years\" substitute \"{WORDS[keep_new]} years\".",
         [Edit(0, "6.2", "replace", f"{WORDS[keep_old]} years", f"{WORDS[keep_new]} years")]),
        gone,
        (f"Finding: the Policy leaves a gap that the review found exploited. Agreed action: at the end of clause "
         f"{into} insert the sentence \"{sentence}\"", [Edit(0, into, "insert", "", " " + sentence)]),
    ]
    p.items, p.edits = _numbered(lay, items)
    return p


def _retention(rng: random.Random, lay: random.Random, company: str) -> Policy:
    cdd_old, cdd_new = rng.choice([(5, 6), (5, 7), (6, 8)])
    calls_old, calls_new = rng.choice([(6, 12), (3, 12), (12, 60)])
    cctv = rng.choice([30, 31, 45])
    notice_no = f"RN-{rng.choice([2026, 2027])}/{rng.randint(10, 48)}"
    summary = [("cdd", f"Customer due diligence records: {WORDS[cdd_old]} years from the end of the business "
                       "relationship."),
               ("transactions", f"Transaction records: {WORDS[cdd_old]} years from the date of the transaction."),
               ("calls", f"Client call recordings: {calls_old} months from the date of the call.")]
    lay.shuffle(summary)  # the schedule summary's order, so its clause numbers, drawn per seed
    at = {key: f"6.{n}" for n, (key, _) in enumerate(summary, 1)}
    manager = lay.choice(["destruction", "schedule"])
    obsolete = lay.choice(["omit 4.3", "replace 4.3", "omit 3.5"])
    into, sentence = _insertion(lay, obsolete, NEW_SENTENCES["record_retention"])
    p = Policy(
        title=f"{company}: Records Retention and Destruction Policy",
        sections=[
            ("1", "Purpose", [
                ("1.1", f"This policy sets the periods for which {company} (the \"Firm\") keeps its records and how "
                        "records are destroyed at the end of those periods."),
                ("1.2", "It applies to records in every medium, including paper, electronic files, e-mail and "
                        "recordings.")]),
            ("2", "Responsibilities", [
                ("2.1", "Each department head is responsible for the records that the department creates."),
                ("2.2", "The Records Manager maintains the retention schedule and the destruction log.")]),
            ("3", "Retention periods", [
                ("3.1", "Records are kept for the periods set out below unless a longer period is required by law."),
                ("3.2", f"Customer due diligence records are kept for {WORDS[cdd_old]} years from the end of the "
                        "business relationship."),
                ("3.3", f"Transaction records are kept for {WORDS[cdd_old]} years from the date of the "
                        "transaction."),
                ("3.4", f"Recordings of telephone calls with clients are kept for {calls_old} months from the date "
                        "of the call."),
                ("3.5", f"CCTV footage is kept for {cctv} days unless it is required for an investigation.")]),
            ("4", "Storage", [
                ("4.1", "Records are stored in the Firm's document management system or in the secure archive."),
                ("4.2", "Access to archived records is limited to staff who need them for their duties."),
                ("4.3", "Paper records older than two years are transferred to microfilm by the archive contractor.")]),
            ("5", "Destruction", [
                ("5.1", "Records may be destroyed at the end of their retention period only with the written "
                        "approval of the Records Manager."),
                ("5.2", "Destruction is carried out securely and recorded in the destruction log.")]),
            ("6", "Retention schedule summary", [(at[key], text) for key, text in summary]),
        ],
        notice_title=f"Regulatory change notice {notice_no}: record-keeping requirements",
        notice_intro=("Firms must amend their record-keeping policies to give effect to the items below within "
                      "three months of this notice."),
    )
    if manager == "destruction":
        approval = ("The destruction of records at the end of their retention period must be approved by the Data "
                    "Protection Officer instead of the Records Manager. The Records Manager keeps the retention "
                    "schedule.", [Edit(0, "5.1", "replace", "Records Manager", "Data Protection Officer")])
    else:
        approval = ("The retention schedule and the destruction log must be maintained by the Head of Information "
                    "Governance instead of the Records Manager. Destruction is still approved by the Records "
                    "Manager.", [Edit(0, "2.2", "replace", "Records Manager", "Head of Information Governance")])
    if obsolete == "omit 4.3":
        gone = ("Transfer of records to microfilm is no longer an accepted archive medium: omit the provision for it; "
                "do not renumber the clauses.", [Edit(0, "4.3", "delete")])
    elif obsolete == "replace 4.3":
        gone = ("Microfilm is replaced by a certified digital archive as the medium for archived paper records: for "
                "\"microfilm\" substitute \"a certified digital archive\".",
                [Edit(0, "4.3", "replace", "microfilm", "a certified digital archive")])
    else:
        gone = ("CCTV footage is now governed by the rules on video surveillance, not by the record-keeping "
                "policy: omit the provision on CCTV footage; do not renumber the clauses.", [Edit(0, "3.5", "delete")])
    items = [
        (f"The retention period for customer due diligence records is extended from {WORDS[cdd_old]} to "
         f"{WORDS[cdd_new]} years from the end of the business relationship: for \"{WORDS[cdd_old]} years\" "
         f"substitute \"{WORDS[cdd_new]} years\". Firms must amend every "
         "provision of their policy that states the period for customer due diligence records. The period for "
         "transaction records is not changed.",
         [Edit(0, c, "replace", f"{WORDS[cdd_old]} years", f"{WORDS[cdd_new]} years") for c in ("3.2", at["cdd"])]),
        (f"Recordings of telephone calls with clients must be kept for {calls_new} months: for "
         f"\"{calls_old} months\" substitute \"{calls_new} months\" wherever the policy states the period for "
         "client call recordings.",
         [Edit(0, c, "replace", f"{calls_old} months", f"{calls_new} months") for c in ("3.4", at["calls"])]),
        approval,
        gone,
        (f"At the end of clause {into} insert the sentence \"{sentence}\"", [Edit(0, into, "insert", "", " " + sentence)]),
    ]
    p.items, p.edits = _numbered(lay, items)
    return p


def _expenses(rng: random.Random, lay: random.Random, company: str) -> Policy:
    receipt_old, receipt_new = rng.choice([(25, 10), (30, 15), (20, 10)])
    rate_old, rate_new = rng.choice([("0.45", "0.55"), ("0.40", "0.45"), ("0.45", "0.50")])
    meal = rng.choice([30, 35, 40])
    notice_no = f"TE-{rng.randint(2, 9)}/{rng.choice([2026, 2027])}"
    restate = lay.choice([("4.2",), ("1.2",), ("1.2", "4.2")])
    case, other, approver, replacement = lay.choice([
        ("directors", "other employees", "Finance Director", "Chair of the Remuneration Committee"),
        ("employees", "directors", "Line Manager", "Head of Department")])
    obsolete = lay.choice(["omit 2.3", "omit 3.1", "replace 3.3"])
    into, sentence = _insertion(lay, obsolete, NEW_SENTENCES["expenses"])
    if lay.random() < 0.5:  # the daily meal limit may state the same amount as the receipt threshold
        meal = receipt_old
    evidence = "Expenses are reimbursed only if they are necessary, reasonable and properly evidenced" + (
        f", with a receipt for any item above GBP {receipt_old}." if "1.2" in restate else ".")
    bills = (f"Itemised bills are required for meal claims above GBP {receipt_old} per person." if "4.2" in restate
             else "Itemised bills are required for every meal claim that covers more than one person.")
    p = Policy(
        title=f"{company}: Travel and Expenses Policy",
        sections=[
            ("1", "Scope", [
                ("1.1", f"This policy applies to every employee and director of {company} who incurs expenses on "
                        "the Company's business."),
                ("1.2", evidence)]),
            ("2", "Claims", [
                ("2.1", "Claims are submitted through the expenses system within one month of the expense."),
                ("2.2", f"A receipt must be attached to every claim line above GBP {receipt_old}."),
                ("2.3", "Claims submitted by fax are accepted only where the expenses system is unavailable.")]),
            ("3", "Travel", [
                ("3.1", "Rail travel is booked in standard class through the Company's travel agent."),
                ("3.2", f"Business mileage in a private car is reimbursed at GBP {rate_old} per mile."),
                ("3.3", "Air travel is booked in economy class for flights of less than six hours; longer flights "
                        "need the Line Manager's approval.")]),
            ("4", "Subsistence", [
                ("4.1", f"Meals while travelling are reimbursed up to GBP {meal} per day."),
                ("4.2", bills)]),
            ("5", "Approval", [
                ("5.1", "Claims by employees are approved by the Line Manager before payment, and also by the "
                        "Finance Director where a claim exceeds GBP 500."),
                ("5.2", "Claims by directors are approved by the Finance Director before payment."),
                ("5.3", "Approvers may not approve their own claims.")]),
        ],
        notice_title=f"Tax and benefits change notice {notice_no}: expenses and benefits",
        notice_intro=("Employers operating an expenses policy must bring it into line with the items below from "
                      "the start of the next tax year."),
    )
    if obsolete == "omit 2.3":
        gone = ("Fax is no longer an acceptable channel for claims: omit the provision allowing claims by fax "
                "(do not renumber).", [Edit(0, "2.3", "delete")])
    elif obsolete == "omit 3.1":
        gone = ("Rail travel no longer has to be booked through a travel agent: omit the provision on booking rail "
                "travel (do not renumber).", [Edit(0, "3.1", "delete")])
    else:
        gone = ("Economy class now applies to flights of up to eight hours: in the provision on air travel, for "
                "\"six hours\" substitute \"eight hours\".", [Edit(0, "3.3", "replace", "six hours", "eight hours")])
    items = [
        (f"The threshold above which a receipt or itemised bill must support an expense claim is lowered from "
         f"GBP {receipt_old} to GBP {receipt_new}. Amend every provision of the policy that states this "
         "threshold. The daily limit for meals is not changed.",
         [Edit(0, c, "replace", f"GBP {receipt_old}", f"GBP {receipt_new}") for c in sorted(("2.2", *restate))]),
        (f"The approved mileage rate for business travel in a private car is GBP {rate_new} per mile: for "
         f"\"GBP {rate_old}\" substitute \"GBP {rate_new}\" in the provision on mileage.",
         [Edit(0, "3.2", "replace", f"GBP {rate_old}", f"GBP {rate_new}")]),
        (f"Claims by {case} must be approved by the {replacement} instead of the {approver}; claims by {other} "
         "are unchanged.", [Edit(0, "5.2" if case == "directors" else "5.1", "replace", approver, replacement)]),
        gone,
        (f"At the end of clause {into} insert the sentence \"{sentence}\"", [Edit(0, into, "insert", "", " " + sentence)]),
    ]
    p.items, p.edits = _numbered(lay, items)
    return p


BUILDERS = {"gifts_hospitality": _gifts, "record_retention": _retention, "expenses": _expenses}


def build(policy: str, seed: int) -> tuple[Policy, str, str]:
    """The policy with its notice for this seed, the company and the officer's name."""
    rng = random.Random(seed)
    lay = random.Random(f"{seed}:layout")  # which clauses the notice touches and how: a stream of its own
    company, officer = rng.choice(COMPANIES), rng.choice(OFFICERS)
    return BUILDERS[policy](rng, lay, company), company, officer


def amended(policy: Policy) -> dict[str, str]:
    """Each clause's text once every edit is made (a deleted clause maps to the empty string)."""
    texts = policy.clauses()
    for edit in policy.edits:
        text = texts[edit.clause]
        if edit.kind == "replace":
            assert text.count(edit.old) == 1, (edit, text)
            texts[edit.clause] = text.replace(edit.old, edit.new)
        elif edit.kind == "insert":
            texts[edit.clause] = text + edit.new
        else:
            texts[edit.clause] = ""
    return texts

"""Document production from email: culling, family deduplication, privilege review, Bates-stamped
PDFs, a Concordance load file and a privilege log.

Workflow: litigation support receives three collected custodian mailboxes (mbox), the opposing
party's request for production (subject matter, date range, custodians), the agreed ESI protocol
(Bates prefix and start, PDF-per-document production, load-file fields, family-level MD5
deduplication, privilege log format) and the list of counsel. The reviewer culls to in-scope
custodians, the date range and the subject matter (a keyword alone is not enough: "Falcon Heights"
is an office, not Project Falcon), deduplicates families across custodians, withholds
attorney-client and work-product families (a third party on the thread waives the privilege;
a label or a lawyer merely copied does not make a business email privileged), renders and
Bates-stamps each produced email and attachment, writes the load file and logs the withheld
documents. The variants differ in the privilege regime (``regime``): ``standard``; ``common_interest``
(an agreement with a co-party makes its counsel's later communications privileged, earlier ones
stay waived); ``clawback_502d`` (a follow-on volume: families an earlier volume produced are not
produced again, and the privileged documents that slipped into it are clawed back by Bates range
under the Rule 502(d) order and tied to the privilege log).

Generation writes the mailboxes from seeded threads whose review calls are known by construction. The
calls do not follow the words: in-house counsel's business recommendation uses legal vocabulary, a business
report copies "Legal", a request for advice and outside counsel's analysis are put in plain words, a
labelled request for advice is copied to an outside consultant under its usual subject, a street name
hits a keyword of the request, and the supplier's quality report names none of them. Nor do the templates:
each kind of privilege thread also occurs as a twin worded the same (same subject, label and text) whose
call is reversed by a fact the reviewer must weigh (the consultant copied or not, the advice forwarded
inside the company or to Meridian, counsel's update closing on legal advice, the report sent to counsel for
her view, the co-party's counsel writing before or after the common-interest agreement's effective date).
The twins, counsel's closing lines (short and long, advising or trading) and the Message-IDs come from seeded
streams of their own, so nothing in a message but what it says names the template that wrote it or its call.

Grade: gates on the load file, the privilege log and the production folder; then the produced set,
no privileged document produced, the privilege log's completeness, bases and metadata, the hard
privilege calls (counsel on the business side or merely copied; the co-party's counsel under the
regime; each twin thread on its own facts), log descriptions that support the basis claimed and do not quote the withheld documents,
nothing re-produced from an earlier volume and the clawback notice, family deduplication with
custodians, a continuous Bates sequence from the agreed start, page counts and Bates stamps
re-measured in the PDFs (pdfinfo/pdftotext in a sandbox), families kept together, load-file metadata
against the source emails, chronological production order, and agreement between the load file and
the production folder.
"""
# ALE-CANARY-aea3f2e4-c9a3-4c26-997b-83e1db709c1d

from __future__ import annotations

import csv
import datetime as dt
import email.policy
import email.utils
import hashlib
import html
import itertools
import json
import mailbox
import random
import re
import textwrap
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import numpy as np

from lastexam.task import Grading, Params, page_count, parse_ppm

LOAD_FIELDS = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "ALLCUSTODIANS", "DATESENT", "FROM",
               "TO", "CC", "SUBJECT", "FILENAME", "DOCTYPE", "MD5HASH", "PAGECOUNT", "PDFPATH"]
LOG_FIELDS = ["Log_ID", "Parent_Log_ID", "Doc_Type", "Date", "From", "To", "CC", "Subject_or_Filename",
              "Custodian", "Privilege_Basis", "Description", "MD5Hash"]

PEOPLE = {
    "whitfield": ("Dana Whitfield", "dwhitfield@halcyonind.com"),
    "oyelaran": ("Marcus Oyelaran", "moyelaran@halcyonind.com"),
    "natarajan": ("Priya Natarajan", "pnatarajan@halcyonind.com"),
    "carver": ("Lee Carver", "lcarver@halcyonind.com"),
    "reyes": ("Tomas Reyes", "treyes@halcyonind.com"),
    "brandt": ("Elena Brandt", "ebrandt@halcyonind.com"),
    "baxter": ("Jonathan Baxter", "jbaxter@baxterlowe.com"),
    "kim": ("Sarah Kim", "skim@baxterlowe.com"),
    "moreau": ("Frank Moreau", "fmoreau@meridiancomp.com"),
    "alvarez": ("Gina Alvarez", "galvarez@meridiancomp.com"),
    "dunne": ("Paul Dunne", "pdunne@crestlineadv.com"),
    "helpdesk": ("IT Service Desk", "servicedesk@halcyonind.com"),
    "allstaff": ("All Staff", "allstaff@halcyonind.com"),
    "norland": ("Ruth Ingram", "ringram@norlandplastics.com"),
    "hale": ("Ingrid Hale", "ihale@halepartners.com"),
}
MAILBOXES = ("whitfield", "oyelaran", "natarajan")
COUNSEL = ("brandt", "baxter", "kim")
ANTICIPATION = dt.date(2025, 6, 16)
COMMON_INTEREST = dt.date(2025, 7, 1)  # effective date of the agreement with Norland (common_interest regime)
REGIMES = ("standard", "common_interest", "clawback_502d")
PRIOR_SERVED = dt.date(2025, 10, 3)  # the earlier volume of the clawback_502d regime was served then
CLAWBACK_FIELDS = ["BEGBATES", "ENDBATES", "Log_ID"]
INTERNAL = ("whitfield", "oyelaran", "natarajan")


@dataclass
class Mail:
    """One logical email and what a careful reviewer knows about it."""

    key: str
    when: dt.datetime
    sender: str
    to: list[str]
    cc: list[str]
    subject: str
    body: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # name, bytes, mime type
    topic: bool = False
    privileged: bool = False
    work_product: bool = False
    common_interest: bool = False
    call: str = ""  # the kind of privilege call the thread tests, for the judgement checks

    @property
    def holders(self) -> list[str]:
        people = [self.sender, *self.to, *self.cc]
        return [m for m in MAILBOXES if m in people or ("allstaff" in people and m != self.sender)]


def wrap(text: str) -> str:
    paragraphs = [textwrap.fill(p.strip(), 72) for p in text.strip().split("\n\n")]
    return "\n\n".join(paragraphs) + "\n"


def signature(person: str) -> str:
    name = PEOPLE[person][0]
    titles = {"whitfield": "VP Procurement, Halcyon Industries", "oyelaran": "Director, Supply Chain, Halcyon Industries",
              "natarajan": "Chief Financial Officer, Halcyon Industries", "brandt": "General Counsel, Halcyon Industries",
              "baxter": "Partner, Baxter & Lowe LLP", "kim": "Associate, Baxter & Lowe LLP",
              "moreau": "Account Director, Meridian Components", "alvarez": "Contracts Manager, Meridian Components"}
    return f"\n\n{name}\n{titles.get(person, '')}".rstrip()


def pdf_document(pages: list[list[str]]) -> bytes:
    """A plain, valid multi-page PDF of text lines (Helvetica 11), written byte for byte."""
    objects: list[bytes] = []
    n = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    font_id = 3 + 2 * n
    for i, lines in enumerate(pages):
        stream = ["BT", "/F1 11 Tf", "14 TL", "72 740 Td"]
        for line in lines:
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            stream.append(f"({safe}) Tj T*")
        stream.append("ET")
        content = "\n".join(stream).encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


class Writer:
    """Draws dates and numbers for the threads of one collection."""

    def __init__(self, rng: random.Random, date_from: dt.date, date_to: dt.date) -> None:
        self.rng = rng
        self.closings: random.Random | None = None  # the stream counsel's closing lines are drawn from
        self.date_from, self.date_to = date_from, date_to
        self.mails: list[Mail] = []

    def when(self, lo: dt.date, hi: dt.date) -> dt.datetime:
        """A weekday office-hours time in [lo, hi], kept clear of the request's date boundaries."""
        while True:
            day = lo + dt.timedelta(days=self.rng.randint(0, (hi - lo).days))
            near = min(abs((day - self.date_from).days), abs((day - self.date_to).days))
            if day.weekday() < 5 and near > 2:
                return dt.datetime(day.year, day.month, day.day, self.rng.randint(8, 17), self.rng.randint(0, 59))

    def inside(self, lo: dt.date | None = None) -> dt.datetime:
        return self.when(max(lo or self.date_from, self.date_from), self.date_to)

    def before_anticipation(self) -> dt.datetime:
        """A date in range before Halcyon anticipated litigation, so counsel's advice then is not work product."""
        return self.when(self.date_from, ANTICIPATION - dt.timedelta(days=3))

    def before(self) -> dt.datetime:
        return self.when(self.date_from - dt.timedelta(days=60), self.date_from - dt.timedelta(days=3))

    def after(self) -> dt.datetime:
        return self.when(self.date_to + dt.timedelta(days=3), self.date_to + dt.timedelta(days=45))

    def add(self, **kw: object) -> Mail:
        mail = Mail(key=f"M{len(self.mails) + 1:03d}", **kw)  # type: ignore[arg-type]
        self.mails.append(mail)
        return mail

    def pick(self, options: tuple[str, ...] | list[str], k: int = 1) -> list[str]:
        return self.rng.sample(list(options), k)


# ---------------------------------------------------------------------------------------------
# thread templates
# ---------------------------------------------------------------------------------------------


def status(w: Writer, when: dt.datetime | None = None, attach: bool | None = None) -> Mail:
    sender, other = w.pick(INTERNAL, 2)
    when = when or w.inside()
    week = when.isocalendar()[1]
    late, units = w.rng.randint(2, 9), w.rng.randint(1800, 9600)
    body = wrap(f"""
Team,

Project Falcon status for week {week}. Meridian shipped {units} housings against the supply agreement
schedule; {late} lots arrived late at the Dayton dock and two were short-shipped. Unit cost held at
the contract price but expedite freight added roughly {w.rng.randint(4, 19)} thousand dollars this week.

Open items: confirm the revised Q3 forecast with Meridian, chase the corrective action report on the
cracked housings, and update the dual-sourcing plan before the steering meeting.

Numbers are in the attached tracker where I had them.""") + signature(sender)
    attachments = []
    if attach if attach is not None else w.rng.random() < 0.5:
        rows = ["lot,ship_date,qty,status"] + [
            f"L{w.rng.randint(10000, 99999)},{(when - dt.timedelta(days=d)).date()},{w.rng.randint(100, 900)},"
            f"{w.rng.choice(['on time', 'late', 'short'])}" for d in range(1, 9)]
        attachments.append((f"Falcon_tracker_wk{week}.csv", ("\n".join(rows) + "\n").encode(), "text/csv"))
    return w.add(when=when, sender=sender, to=[other], cc=w.pick(("carver", "reyes")), subject=
                 f"Project Falcon status - week {week}", body=body, attachments=attachments, topic=True)


def pricing(w: Writer) -> Mail:
    sender = w.pick(("whitfield", "oyelaran"))[0]
    tiers = [(q, round(w.rng.uniform(11, 19), 2)) for q in (5000, 10000, 20000, 40000)]
    pages = [["MERIDIAN COMPONENTS - PRICE SCHEDULE (EXHIBIT B)", "Supply Agreement between Meridian Components",
              "and Halcyon Industries, Inc.", ""] + [f"Tier {i + 1}: up to {q} units per quarter  USD {p} per unit"
                                                    for i, (q, p) in enumerate(tiers)],
             ["EXHIBIT B (continued)", "", "Price adjustments: resin index, reviewed quarterly.",
              "Expedite freight: borne by supplier when delay is supplier-caused.", "", "Page 2 of 2"]]
    body = wrap("""
Attached is Exhibit B from the Meridian supply agreement with the tiered prices we are paying.
Please use the tier 2 price in the Falcon budget until Meridian confirms the Q3 volumes.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=[x for x in INTERNAL if x != sender], cc=[],
                 subject="Meridian supply agreement - Exhibit B price schedule", body=body,
                 attachments=[("Meridian_Exhibit_B_prices.pdf", pdf_document(pages), "application/pdf")], topic=True)


def delays(w: Writer, log: bytes) -> Mail:
    sender = w.pick(INTERNAL)[0]
    month = w.rng.choice(["June", "July", "August", "May"])
    body = wrap(f"""
Meridian's delivery performance for {month} is below the 95% on-time level in the supply agreement.
The delivery log is attached. We should raise it with Frank at the quarterly review and document the
expedite costs in case we need to offset them.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=[x for x in w.pick(INTERNAL, 2) if x != sender] or ["reyes"],
                 cc=["reyes"], subject=f"Meridian late deliveries - {month}", body=body,
                 attachments=[("Meridian_delivery_log.csv", log, "text/csv")], topic=True)


def external(w: Writer, when: dt.datetime | None = None) -> Mail:
    inside = w.pick(("whitfield", "oyelaran"))[0]
    outbound = w.rng.random() < 0.5
    quarter = w.rng.choice(["Q3", "Q4"])
    if outbound:
        body = wrap(f"""
Frank,

Per section 4.2 of our supply agreement, please confirm {quarter} volumes of {w.rng.randint(9, 30)},000 housings
and the shipping plan from your Monterrey plant. We also need the corrective action report for the
cracked housings before we release the next purchase order.""") + signature(inside)
        return w.add(when=when or w.inside(), sender=inside, to=["moreau"], cc=[], topic=True,
                     subject=f"Supply agreement - {quarter} volumes", body=body)
    body = wrap(f"""
Thanks for your note. We can commit to the {quarter} volumes in the supply agreement but need two extra
weeks on the first release because of the resin shortage. The corrective action report will follow
from our quality team.""") + signature("moreau")
    return w.add(when=when or w.inside(), sender="moreau", to=[inside], cc=["alvarez"], topic=True,
                 subject=f"RE: Supply agreement - {quarter} volumes", body=body)


def ac_question(w: Writer, copy_consultant: bool | None = None) -> Mail:
    """A request for legal advice; when the sender copies the outside sourcing consultant the thread keeps
    its privileged label and subject but the disclosure waives the privilege."""
    sender = w.pick(("whitfield", "oyelaran"))[0]
    copied = w.rng.random() < 0.35 if copy_consultant is None else copy_consultant
    body = wrap("""
Elena,

Privileged and confidential - request for legal advice. Meridian has missed the on-time delivery
level three months running. Do we have the right to terminate the supply agreement under section 11,
and what notice do we need to give? I would like your view before we raise it with them.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["brandt"], cc=["dunne"] if copied else [], topic=True,
                 privileged=not copied, call="copied_out" if copied else "",
                 subject="Privileged - termination rights under Meridian supply agreement", body=body)


def ac_advice(w: Writer, with_memo: bool = True) -> Mail:
    to = w.pick(("whitfield", "oyelaran"), 2)
    body = wrap("""
ATTORNEY-CLIENT PRIVILEGED AND CONFIDENTIAL

Dana, Marcus,

My advice on the Meridian notice of breach: section 11.3 lets us terminate for repeated delivery
failures, but only after written notice and a 30-day cure period. Do not withhold payment on undisputed
invoices in the meantime, and keep the expedite cost records. My memo with the analysis is attached.
Please do not forward this outside the company.""") + signature("brandt")
    attachments = []
    if with_memo:
        memo = pdf_document([["PRIVILEGED & CONFIDENTIAL - ATTORNEY-CLIENT COMMUNICATION",
                              "Memorandum to D. Whitfield and M. Oyelaran from E. Brandt",
                              "Re: Termination rights, Meridian supply agreement", "",
                              "1. Section 11.3 permits termination for repeated delivery failure.",
                              "2. Written notice and a 30-day cure period are conditions.",
                              "3. Risks: counterclaim for wrongful termination; minimum volume clause."],
                             ["4. Recommendation: serve notice; document expedite costs.", "", "E.B."]])
        attachments.append(("Brandt_memo_termination_rights.pdf", memo, "application/pdf"))
    return w.add(when=w.before_anticipation(), sender="brandt", to=to, cc=[], topic=True, privileged=True, body=body,
                 call="advice",
                 subject="Privileged & Confidential - advice on Meridian notice of breach", attachments=attachments)


def outside_advice(w: Writer) -> Mail:
    body = wrap("""
Privileged & Confidential / Attorney-Client Communication

Elena,

Following our call: Meridian's force majeure claim for the resin shortage is weak. Clause 14 requires
notice within ten days of the event and Meridian gave none. We recommend Halcyon reserve its rights in
writing. Happy to draft the letter.""") + signature("baxter")
    return w.add(when=w.before_anticipation(), sender="baxter", to=["brandt"], cc=w.pick(("whitfield", "oyelaran")),
                 topic=True, privileged=True, subject="Meridian - force majeure position", body=body)


def work_product(w: Writer) -> Mail:
    body = wrap("""
PRIVILEGED & CONFIDENTIAL - ATTORNEY WORK PRODUCT - PREPARED IN ANTICIPATION OF LITIGATION

Elena,

Attached is our draft assessment of the anticipated litigation with Meridian over the supply agreement:
likely claims and counterclaims, the documents we need preserved, and a first view of damages. Please
circulate only to the litigation working group.""") + signature("baxter")
    memo = pdf_document([["ATTORNEY WORK PRODUCT - DRAFT", "Halcyon v. Meridian: litigation assessment", "",
                          "I. Claims: breach of delivery obligations (s. 6), expedite cost recovery."],
                         ["II. Anticipated counterclaims: wrongful termination; minimum purchase volume."],
                         ["III. Preservation: custodians Whitfield, Oyelaran, Natarajan.", "IV. Next steps."]])
    return w.add(when=w.inside(ANTICIPATION + dt.timedelta(days=3)), sender="baxter", to=["brandt"],
                 cc=["whitfield", "oyelaran"], topic=True, privileged=True, work_product=True,
                 subject="Privileged - Meridian dispute: litigation assessment (draft)", body=body,
                 attachments=[("Litigation_assessment_DRAFT.pdf", memo, "application/pdf")])


def waiver_cc(w: Writer) -> Mail:
    sender = w.pick(("whitfield", "oyelaran"))[0]
    body = wrap("""
Elena,

Question on the Meridian supply agreement: does the exclusivity clause stop us from qualifying a second
supplier for the Falcon housings before the term ends?""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["brandt"], cc=["dunne"], topic=True,
                 subject="Meridian supply agreement - exclusivity question", body=body)


def waiver_forward(w: Writer, advice: Mail, delay: dt.timedelta = dt.timedelta(days=2, hours=1)) -> Mail:
    sender = advice.to[0]
    quoted = "\n".join("> " + line for line in advice.body.splitlines())
    body = (wrap("""
See below - our lawyer's position on the Meridian delivery failures. We expect a cure plan within 30 days.""")
            + signature(sender) + f"\n\n-----Original Message-----\nFrom: {PEOPLE['brandt'][0]}\n"
            f"Subject: {advice.subject}\n\n{quoted}\n")
    return w.add(when=advice.when + delay, sender=sender, to=["moreau"], cc=[], topic=True,
                 subject=f"FW: {advice.subject}", body=body)


def decoy(w: Writer) -> Mail:
    sender = w.pick(INTERNAL)[0]
    body = wrap("""
Hi all,

The Falcon Heights office summer party is on the rooftop terrace this Friday from 4pm. Families welcome.
Please let facilities know about dietary needs.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["allstaff"], cc=[], subject="Falcon Heights office party",
                 body=body)


def helpdesk(w: Writer) -> Mail:
    target = w.pick(INTERNAL)[0]
    body = wrap(f"""
Your network password expires in {w.rng.randint(2, 9)} days. Please change it at the self-service portal.
This is an automated message.""")
    return w.add(when=w.inside(), sender="helpdesk", to=[target], cc=[], subject="Password expiry notice", body=body)


def other_vendor(w: Writer) -> Mail:
    sender = w.pick(("oyelaran", "whitfield"))[0]
    body = wrap(f"""
Ruth,

Please book {w.rng.randint(8, 40)} tonnes of the grey ABS resin for delivery to Dayton next month at the
price in our Norland Plastics purchase agreement.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["norland"], cc=["reyes"], subject="Norland resin order", body=body)


def priv_unrelated(w: Writer) -> Mail:
    sender = w.pick(INTERNAL)[0]
    body = wrap("""
Elena,

Privileged - I need legal advice on an employee's request for extended medical leave and what we
must offer under the policy. Can we talk tomorrow?""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["brandt"], cc=[], privileged=True,
                 subject="Privileged - employee leave question", body=body)


def budget_only(w: Writer) -> Mail:
    body = wrap(f"""
Lee,

Project Falcon is running {w.rng.randint(3, 12)}% over budget because of Meridian's expedite charges.
Please split the variance between freight and unit price for the board pack.""") + signature("natarajan")
    return w.add(when=w.inside(), sender="natarajan", to=["carver"], cc=[], topic=True,
                 subject="Project Falcon budget variance", body=body)


def counsel_business(w: Writer, advice: str | None = None) -> Mail:
    """In-house counsel negotiating on the business side under a privilege label: not legal advice (with
    ``advice``, the same update closing on her legal advice about the commitment)."""
    units = w.rng.randint(12, 30)
    close = advice or w.rng.choice(BUSINESS_CLOSINGS[:3])
    label = w.rng.choice(["PRIVILEGED & CONFIDENTIAL", "ATTORNEY-CLIENT PRIVILEGED AND CONFIDENTIAL",
                          "Privileged & Confidential / Attorney-Client Communication"])
    if w.closings is not None:
        # the line itself comes from a stream of its own, over pools whose lengths overlap (so that nothing but
        # what it says tells the two apart); the writer's draws above are kept so that the others do not shift
        close = w.closings.choice(COMMITMENT_ADVICE if advice else BUSINESS_CLOSINGS)
    body = wrap(f"""
{label}

Dana, Marcus,

Commercial update from my call with Frank at Meridian this morning. They will hold the tier 2 unit price
through Q4 if we commit to {units},000 housings under section 4.2 of the supply agreement, and they offered
to split the expedite freight on the late lots. {close} Marcus, please confirm the volumes with the planners
by Friday.""") + signature("brandt")
    return w.add(when=w.inside(), sender="brandt", to=["whitfield", "oyelaran"], cc=[], topic=True,
                 subject="Meridian Q4 volumes - commercial terms", body=body, call="counsel_business")


def counsel_copied(w: Writer, ask: str | None = None) -> Mail:
    """A business report that merely copies in-house counsel: not privileged (with ``ask``, the same report
    sent to counsel for her advice on it)."""
    other = w.pick(("whitfield", "natarajan"))[0]
    body = wrap(f"""
Team,

For the Falcon steering pack: Meridian delivered {w.rng.randint(81, 94)}% of lots on time this quarter against
the supply agreement schedule, and expedite freight is running at {w.rng.randint(20, 60)} thousand dollars.
{ask or "Copying Elena in Legal so she has the same figures as the steering group"
 + w.rng.choice(["", " if this ends in litigation"]) + "."}
""") + signature("oyelaran")
    return w.add(when=w.inside(), sender="oyelaran", to=[other, "carver"], cc=["brandt"], topic=True,
                 subject="Project Falcon steering pack - Meridian delivery figures", body=body, call="counsel_copied")


def plain_question(w: Writer) -> Mail:
    """A request for legal advice in plain words (no label, no legal vocabulary): privileged by substance."""
    sender = w.pick(("whitfield", "oyelaran", "natarajan"))[0]
    amount = w.rng.randint(40, 190)
    risk = w.rng.choice(["can they call it non-payment under section 9 and stop shipping?",
                         "can they treat that as non-payment and stop shipping to Dayton?"])
    body = wrap(f"""
Elena,

Before I answer Frank: Meridian wants the {amount} thousand dollars of expedite invoices paid before the
quarterly review. If we hold that back against the late lots, {risk} What should I say to him, and what
should I not put in writing?""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["brandt"], cc=[], topic=True, privileged=True, call="plain",
                 subject="Meridian expedite invoices - before I reply to Frank", body=body)


def plain_answer(w: Writer) -> Mail:
    """Outside counsel's analysis for the client in plain words, before litigation was anticipated."""
    body = wrap(f"""
Elena,

Short answer on the expedite invoices: Halcyon can set off the documented expedite costs under section 9.4,
but only the documented amount, and it should pay the undisputed balance on time so Meridian cannot treat
the shortfall as non-payment. Section 9.6 lets Meridian suspend shipments only after {w.rng.choice(["15", "20", "30"])}
days of unpaid undisputed invoices. Dana's reply to Frank should state the set-off and the amount, nothing
about our view of the contract.""") + signature("baxter")
    return w.add(when=w.before_anticipation(), sender="baxter", to=["brandt"], cc=w.pick(("whitfield", "oyelaran")),
                 topic=True, privileged=True, call="plain", subject="Expedite invoices - set-off", body=body)


def quality_note(w: Writer) -> Mail:
    """Responsive without a keyword of the request: the supplier's quality report on the housings."""
    sender, other = w.pick(INTERNAL, 2)
    body = wrap(f"""
{PEOPLE[other][0].split()[0]},

Frank's quality team finally sent the corrective action report on the cracked housings from the Monterrey
plant. They blame a resin lot and a mould temperature drift, and propose {w.rng.randint(2, 6)} weeks of 100%
inspection at their cost. I do not think that covers the lots already on our line.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=[other], cc=["reyes"], topic=True,
                 subject="Corrective action report - cracked housings", body=body)


def street_notice(w: Writer) -> Mail:
    """A keyword hit that is not responsive: a street, not the supplier."""
    sender = w.pick(INTERNAL)[0]
    body = wrap(f"""
Hi all,

The Meridian Street garage next to the Dayton office is closed for resurfacing from Monday for
{w.rng.randint(2, 5)} days. Please use the visitor lot on Fifth Avenue and carpool where you can.""") + signature(sender)
    return w.add(when=w.inside(), sender=sender, to=["allstaff"], cc=[], subject="Meridian Street garage closure",
                 body=body)


def co_party_before(w: Writer) -> Mail:
    """Halcyon's counsel asks the counsel of Norland (also supplied under Meridian's terms) for a view,
    before any common-interest agreement: a disclosure to a third party."""
    lo = max(w.date_from, dt.date(2025, 3, 1))
    body = wrap("""
Ingrid,

Thank you for the call. Meridian has written to both our clients about the resin shortage. Could you
share Norland's legal view on whether Meridian's force majeure notice under the supply agreement was
timely? I will send you ours.""") + signature("brandt")
    return w.add(when=w.when(lo, min(ANTICIPATION, COMMON_INTEREST) - dt.timedelta(days=3)), sender="brandt",
                 to=["hale"], cc=["oyelaran"], topic=True, call="co_party",
                 subject="Meridian force majeure notice - Norland view", body=body)


def co_party_after(w: Writer, regime: str) -> Mail:
    """Norland's counsel shares its legal analysis after the common-interest agreement's effective date:
    privileged only where that agreement exists."""
    body = wrap(f"""
Elena,

As discussed, here is Norland's legal analysis of Meridian's force majeure position under the supply
agreement: the notice came {w.rng.randint(12, 30)} days after the event, outside the ten-day window, and
Meridian's own shipments during the shortage undercut the claim. We suggest that our clients take
consistent positions in their responses to Meridian.""") + signature("hale")
    shared = regime == "common_interest"
    return w.add(when=w.when(COMMON_INTEREST + dt.timedelta(days=3), w.date_to), sender="hale", to=["brandt"],
                 cc=["baxter", "oyelaran"], topic=True, privileged=shared, common_interest=shared, call="co_party",
                 subject="Meridian force majeure - Norland analysis", body=body)


# Counsel's closing lines on the commercial update: a business recommendation, or (the counterpart) her legal advice
# on the commitment. Short and long lines in both, so that a line's length says nothing of what it is.
BUSINESS_CLOSINGS = (
    "My advice is to take the offer: the numbers work for the Falcon budget and it keeps the Dayton line "
    "running. There is no legal question in this, it is a pricing call.",
    "Speaking for the business side here, my advice is to take the offer: the numbers work for the Falcon "
    "budget and it keeps the Dayton line running.",
    "I would advise taking the offer. The numbers work for the Falcon budget, it keeps the Dayton line running, "
    "and it spares us a legal fight over a few lots.",
    "I would take it; this is a pricing call.",
    "My recommendation is to accept. Tier 2 through Q4 with half the expedite freight is better than Frank's first "
    "position, better than anything the second-source candidates have quoted, and it keeps the Dayton line "
    "running through the quarter. It is a commercial call, not a legal one.",
    "Take the offer, in my view: half the expedite freight and a held price are worth more to the Falcon budget "
    "than another round with Frank, and the planners say the volumes are within the forecast anyway.")
COMMITMENT_ADVICE = (
    "Before you confirm, a legal point: a commitment under section 4.2 as worded would settle our claim to the "
    "expedite costs under section 9.4, so the confirmation must expressly reserve that claim. I will draft the "
    "reservation.",
    "My legal advice before anyone confirms: the commitment has to reserve our set-off rights under section 9.4, "
    "or Meridian will argue that the expedite claim was settled. Send me the draft confirmation first.",
    "One legal point: reserve the section 9.4 claim.",
    "My legal advice: confirm only with an express reservation of the section 9.4 set-off.",
    "A legal point first: as worded, section 4.2 would settle our expedite claim under section 9.4, so the "
    "confirmation has to reserve it.")
# The counterpart of the business report: the report put to counsel for her advice.
REPORT_QUESTION = (
    "Elena, before these go in the pack: do they support a notice of breach under section 11, and is there "
    "anything we should leave out of the steering pack?",
    "Elena, do these figures give us grounds for a notice of breach under section 11? I would like your view "
    "before the steering group sees them.")


def forwarded(rng: random.Random) -> dt.timedelta:
    """How long after counsel's advice a recipient forwarded it."""
    return dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 4), minutes=rng.randint(0, 59))


def counterparts(w: Writer, advice: Mail, regime: str) -> None:
    """Each kind of privilege thread once more, worded as its twin, with the call reversed by a fact the
    reviewer must weigh: the sourcing consultant copied (waiver), the consultant dropped (a plain request),
    counsel's advice forwarded inside the company rather than to Meridian, counsel's update closing on legal
    advice, the report sent to counsel for her view, and the co-party's counsel writing on the other side of
    the common-interest agreement's effective date. Drawn from ``w.rng``, a stream of its own."""
    def twin(mail: Mail, privileged: bool, **facts: object) -> None:
        mail.call, mail.privileged = "twin", privileged
        for name, value in facts.items():
            setattr(mail, name, value)

    for template in (ac_advice, outside_advice, plain_answer):
        mail = template(w)
        twin(mail, False, cc=[*mail.cc, "dunne"])
    twin(plain_question(w), False, cc=["dunne"])
    twin(waiver_cc(w), True, cc=[])
    twin(waiver_forward(w, advice, forwarded(w.rng)), True, to=["natarajan"], cc=["brandt"])
    twin(counsel_business(w, advice=w.rng.choice(COMMITMENT_ADVICE[:2])), True)
    report = counsel_copied(w, ask=w.rng.choice(REPORT_QUESTION))
    twin(report, True, to=["brandt"], cc=[*report.to])
    shared = regime == "common_interest"
    request = co_party_before(w)
    twin(request, shared, common_interest=shared, when=w.when(COMMON_INTEREST + dt.timedelta(days=3), w.date_to))
    analysis = co_party_after(w, regime)
    twin(analysis, False, common_interest=False,
         when=w.when(max(w.date_from, dt.date(2025, 3, 1)), COMMON_INTEREST - dt.timedelta(days=3)))


def second_update(w: Writer) -> None:
    """Counsel's commercial update once more under the same subject and label, trading or (as often) advising,
    so that how many of them are privileged, and which, follows only from what each one's closing says."""
    if w.rng.random() < 0.5:
        counsel_business(w)
    else:
        mail = counsel_business(w, advice=COMMITMENT_ADVICE[0])
        mail.call, mail.privileged = "twin", True


EXTRA = (status, external, decoy, helpdesk, other_vendor, ac_question, outside_advice, budget_only, quality_note,
         street_notice)


def build(rng: random.Random, date_from: dt.date, date_to: dt.date, extra_threads: int, regime: str,
          forms: random.Random, closings: random.Random) -> list[Mail]:
    """The collection: every kind of thread at least once, plus seeded extras, then the privilege threads'
    counterparts drawn from ``forms``; counsel's closing lines are drawn from ``closings``."""
    w = Writer(rng, date_from, date_to)
    w.closings = closings
    log_rows = ["po,promised,received,days_late"] + [
        f"PO{rng.randint(40000, 49999)},2025-0{m}-{d:02d},2025-0{m}-{d + rng.randint(0, 9):02d},{rng.randint(0, 9)}"
        for m in (5, 6, 7) for d in (3, 12)]
    log = ("\n".join(log_rows) + "\n").encode()
    status(w, attach=True)
    status(w, attach=False)
    status(w, when=w.before(), attach=True)
    external(w, when=w.after())
    pricing(w)
    delays(w, log)
    delays(w, log)
    external(w)
    external(w)
    ac_question(w, copy_consultant=False)
    ac_question(w, copy_consultant=True)
    advice = ac_advice(w)
    outside_advice(w)
    work_product(w)
    waiver_cc(w)
    waiver_forward(w, advice, forwarded(forms))
    decoy(w)
    helpdesk(w)
    other_vendor(w)
    priv_unrelated(w)
    budget_only(w)
    counsel_business(w)
    counsel_copied(w)
    co_party_before(w)
    co_party_after(w, regime)
    plain_question(w)
    plain_answer(w)
    quality_note(w)
    street_notice(w)
    for _ in range(extra_threads):
        rng.choice(EXTRA)(w)
    w.rng = forms
    counterparts(w, advice, regime)
    w.rng = closings
    second_update(w)
    w.rng = rng
    return sorted(w.mails, key=lambda m: m.when)


# ---------------------------------------------------------------------------------------------
# writing the collection
# ---------------------------------------------------------------------------------------------


def address(person: str) -> str:
    name, addr = PEOPLE[person]
    return f"{name} <{addr}>"


def utc_offset(when: dt.datetime) -> dt.timezone:
    """US Eastern: daylight time between the 2025 switch dates."""
    summer = dt.datetime(2025, 3, 9, 2) <= when < dt.datetime(2025, 11, 2, 2)
    return dt.timezone(dt.timedelta(hours=-4 if summer else -5))


def raw_message(mail: Mail, token: str) -> bytes:
    """The message as sent; ``token``, drawn at random, makes its Message-ID (which says nothing of the thread)."""
    msg = EmailMessage()
    msg["From"] = address(mail.sender)
    msg["To"] = ", ".join(address(p) for p in mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(address(p) for p in mail.cc)
    msg["Subject"] = mail.subject
    msg["Date"] = email.utils.format_datetime(mail.when.replace(tzinfo=utc_offset(mail.when)))
    domain = PEOPLE[mail.sender][1].split("@")[1]
    msg["Message-ID"] = f"<{mail.when:%Y%m%d%H%M}.{token}@{domain}>"
    msg.set_content(mail.body)
    for name, data, mime in mail.attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if mail.attachments:
        msg.set_boundary(f"=_halcyon_{token}")
    return msg.as_bytes(policy=email.policy.default)


def write_mbox(path: Path, items: list[tuple[Mail, bytes]]) -> None:
    with open(path, "wb") as fh:
        for mail, raw in items:
            stamp = mail.when.strftime("%a %b %d %H:%M:%S %Y")
            fh.write(f"From {PEOPLE[mail.sender][1]} {stamp}\n".encode() + raw.rstrip(b"\n") + b"\n\n")


def hash_variants(raw: bytes) -> list[str]:
    """MD5s a careful tool may compute for the same message (trailing newline, CRLF line ends)."""
    base = raw.rstrip(b"\n")
    crlf = base.replace(b"\n", b"\r\n")
    forms = {base, base + b"\n", base + b"\n\n", crlf, crlf + b"\r\n"}
    return sorted(hashlib.md5(f).hexdigest() for f in forms)


def custodian_name(person: str) -> str:
    first, last = PEOPLE[person][0].split(" ", 1)
    return f"{last}, {first}"


def content_words(text: str) -> list[str]:
    """The words of four or more letters or digits a reader must see in a document's rendering."""
    return sorted({w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 4})


def pdf_text(data: bytes) -> str:
    """The text lines of a PDF written by ``pdf_document``."""
    strings = re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", data)
    return "\n".join(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in strings)


def date_long(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def write_documents(input_dir: Path, params: dict[str, Any]) -> None:
    custodians = [f"{PEOPLE[c][0]} ({custodian_name(c)})" for c in params["custodians"]]
    lo, hi = dt.date.fromisoformat(params["date_from"]), dt.date.fromisoformat(params["date_to"])
    start = f"{params['bates_prefix']}{params['bates_start']:0{params['bates_digits']}d}"
    rfp = f"""# Meridian Components, Inc. v. Halcyon Industries, Inc. - Plaintiff's First Request for Production

Responding party: Halcyon Industries, Inc. ("Halcyon").

## Definitions

"Supply Agreement" means the Component Supply Agreement between Meridian Components, Inc. and
Halcyon dated January 15, 2025, including its exhibits. "Project Falcon" means Halcyon's internal
program for sourcing housings under the Supply Agreement.

## Requests

REQUEST NO. 1: All documents and communications concerning the Supply Agreement or Project Falcon,
including performance, deliveries, pricing, forecasts, termination, force majeure and disputes
under it.

## Limits agreed at the meet-and-confer

- Custodians: {"; ".join(custodians)}. Mailboxes of other persons are not searched.
- Date range: {date_long(lo)} through {date_long(hi)}, inclusive, by date sent.
"""
    protocol = f"""# Stipulated ESI protocol - production format (excerpt)

1. Deduplication: global, at the family level, by the MD5 hash of the parent email (the RFC 5322
   message bytes as stored in the mbox, without the mbox "From " separator line). Attachments are
   never deduplicated apart from their family and families are never broken up. The copy produced
   is attributed to the first custodian holding it in the order the custodians are listed in the
   request; ALLCUSTODIANS lists every in-scope custodian holding a copy, in that order.
2. Form: one searchable PDF per document (each email and each attachment is its own document),
   every page stamped with its Bates number, file name `<BEGBATES>.pdf`, in the folder
   `production/` of the volume {params["volume"]}.
3. Bates numbers: prefix `{params["bates_prefix"]}`, {params["bates_digits"]} digits zero-padded, one number per
   page, continuous with no gaps, this volume beginning at {start}. Families in chronological order of the
   parent's date sent; each email is followed by its attachments in the order they appear in the message.
4. Load file: `production/loadfile.dat`, Concordance format: UTF-8, a header row, fields delimited by
   the character with code 20 (DC4) and qualified by the thorn character (U+00FE). Fields:
   {", ".join(LOAD_FIELDS)}.
   BEGATTACH/ENDATTACH give the family range (the parent's first page to the last attachment's last
   page; for a document without attachments, its own range). CUSTODIAN and ALLCUSTODIANS as
   "Last, First". DATESENT as MM/DD/YYYY (the date in the email's Date header). FROM, TO and CC as
   e-mail addresses separated by "; ". FILENAME is the attachment's file name (empty for emails).
   DOCTYPE is `Email` or `Attachment`. MD5HASH is, for an email, the hash of item 1, and for an
   attachment, the MD5 of its decoded bytes. PAGECOUNT is the number of pages produced. PDFPATH is
   `production/<BEGBATES>.pdf`. Attachment rows leave DATESENT, FROM, TO, CC and SUBJECT empty.
5. Privilege: responsive documents protected by the attorney-client privilege or the work-product
   doctrine are withheld in full, with their whole family, and logged in `privilege_log.csv`, one row
   per withheld document (emails and attachments separately), with the columns
   {", ".join(LOG_FIELDS)}.
   Log_ID as PRIV-0001, PRIV-0002, ...; Parent_Log_ID (attachments only) is the Log_ID of the parent
   email; Doc_Type `Email` or `Attachment`; Date as MM/DD/YYYY; From/To/CC as for the load file;
   Privilege_Basis is `Attorney-Client Privilege`, `Work Product`, or both separated by "; ", followed by
   `Common Interest` when the protection rests on a common-interest agreement;
   Description states the nature of the document, enough for the other side to assess each privilege
   claimed, without revealing the privileged content;
   MD5Hash as in item 4. Documents that are not responsive are neither produced nor logged.
   A communication that includes anyone outside Halcyon other than its counsel is not privileged,
   unless a written common-interest agreement in force on its date covers it. Privilege is judged by
   substance (primary purpose), not by labels or by who is copied.
   Halcyon has anticipated litigation with Meridian since {date_long(ANTICIPATION)}; documents its counsel
   prepared after that date for that dispute are also work product.
6. Clawback: every volume also serves `clawback_notice.csv` (columns {", ".join(CLAWBACK_FIELDS)}; the header
   alone when nothing is clawed back): one row per privileged document that an earlier volume produced,
   with its Bates range in that volume and the Log_ID under which this volume's privilege log now lists it.
   Under the Rule 502(d) order entered in this case, such a production waives nothing.
"""
    if params.get("regime") == "clawback_502d":
        first, last = label(1, _bates_ref(params)), label(params["bates_start"] - 1, _bates_ref(params))
        protocol += f"""7. Rolling production: volume {params["prior_volume"]} ({first} to {last}) was served on
   {date_long(PRIOR_SERVED)}; its load file is `prior_production/{params["prior_volume"]}_loadfile.dat`. A family
   already produced in an earlier volume is not produced again.
"""
    (input_dir / "request_for_production.md").write_text(rfp)
    if params.get("regime") == "common_interest":
        (input_dir / "common_interest_agreement.md").write_text(f"""# Common Interest and Confidentiality Agreement (excerpt)

Between Halcyon Industries, Inc. ("Halcyon") and Norland Plastics, Inc. ("Norland"), effective
{date_long(COMMON_INTEREST)}.

1. Halcyon and Norland each face claims by Meridian Components, Inc. arising from the 2025 resin
   shortage and share a common legal interest in defending them.
2. Communications among the parties and their counsel (for Halcyon: its General Counsel and Baxter &
   Lowe LLP; for Norland: {PEOPLE["hale"][0]}, Hale Partners LLP, {PEOPLE["hale"][1]}) concerning
   those claims, made on or after the effective date, are exchanged in confidence in furtherance of
   that common interest; no party waives any privilege by making them.
3. Nothing in this agreement makes privileged any communication made before the effective date.
""")
    (input_dir / "esi_protocol.md").write_text(protocol)
    with open(input_dir / "counsel.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Name", "Email", "Role"])
        w.writerow([PEOPLE["brandt"][0], PEOPLE["brandt"][1], "General Counsel, Halcyon Industries (in-house)"])
        w.writerow([PEOPLE["baxter"][0], PEOPLE["baxter"][1], "Partner, Baxter & Lowe LLP (outside litigation counsel)"])
        w.writerow([PEOPLE["kim"][0], PEOPLE["kim"][1], "Associate, Baxter & Lowe LLP (outside litigation counsel)"])


def _bates_ref(params: dict[str, Any]) -> dict[str, Any]:
    return {"prefix": params["bates_prefix"], "digits": params["bates_digits"]}


def concordance(rows: list[list[str]]) -> str:
    """Rows (the first is the header) as a Concordance load file: DC4 delimiters, thorn qualifiers."""
    return "".join("\x14".join(f"\u00fe{v}\u00fe" for v in row) + "\n" for row in rows)


def prior_volume(rng: random.Random, mails: list[Mail], ref_mails: dict[str, Any], stored_md5: dict[str, str],
                 params: dict[str, Any]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """The earlier volume of the clawback_502d regime: its load file, the families it produced (the
    in-house counsel's advice with its memo slipped through, as did the counsel's labelled business email
    and a third of the other producible families, among documents from other sources) and the clawback
    the reference expects (the privileged documents, by their Bates ranges in that volume)."""
    ref = _bates_ref(params)
    responsive = [m for m in mails if ref_mails[m.key]["responsive"]]
    others = [m for m in responsive if not m.privileged and m.call == ""]
    chosen = [m for m in responsive if m.call in ("advice", "counsel_business")]
    chosen = sorted(chosen + rng.sample(others, len(others) // 3), key=lambda m: m.when)
    docs: list[tuple[Mail | None, int]] = []
    for m in chosen:
        docs += [(None, 0)] * rng.randint(1, 3)
        docs.append((m, 0))
    docs.append((None, 0))
    family_pages = sum(1 + len(m.attachments) + sum(max(b.count(b"/Type /Page "), 1) - 1 for _, b, _ in m.attachments)
                       for m in chosen)
    fillers = sum(1 for m, _ in docs if m is None)
    weights = [rng.uniform(1, 10) for _ in range(fillers)]
    spare = params["bates_start"] - 1 - family_pages - fillers
    if spare < 0:
        raise ValueError("task.toml [variants]: bates_start leaves too few pages for the earlier volume")
    filler_pages = [1 + int(spare * w / sum(weights)) for w in weights]
    filler_pages[-1] += params["bates_start"] - 1 - family_pages - sum(filler_pages)
    rows = [LOAD_FIELDS]
    clawback: list[dict[str, Any]] = []
    produced: list[str] = []
    page, filler = 1, 0
    for m, _ in docs:
        if m is None:
            n = filler_pages[filler]
            filler += 1
            beg, end = label(page, ref), label(page + n - 1, ref)
            rows.append([beg, end, beg, end, custodian_name(rng.choice(params["custodians"])), "", "", "", "", "", "",
                         f"Falcon_program_file_{rng.randint(100, 999)}.xlsx", "Edoc",
                         f"{rng.getrandbits(128):032x}", str(n), f"production/{beg}.pdf"])
            page += n
            continue
        produced.append(m.key)
        info = ref_mails[m.key]
        email_pages = 1
        spans = [(page, page + email_pages - 1)]
        cursor = page + email_pages
        for _, data, mime in m.attachments:
            n = max(data.count(b"/Type /Page "), 1) if mime == "application/pdf" else 1
            spans.append((cursor, cursor + n - 1))
            cursor += n
        fam = (label(spans[0][0], ref), label(spans[-1][1], ref))
        members = [("Email", "", stored_md5[m.key], ("E", m.key))] + [
            ("Attachment", name, hashlib.md5(data).hexdigest(), ("A", m.key, hashlib.md5(data).hexdigest()))
            for name, data, _ in m.attachments]
        for (doctype, name, digest, doc), (b, e) in zip(members, spans, strict=True):
            email_row = doctype == "Email"
            rows.append([label(b, ref), label(e, ref), *fam, info["custodian"], "; ".join(info["all_custodians"]),
                         info["date"] if email_row else "", "; ".join(info["from"]) if email_row else "",
                         "; ".join(info["to"]) if email_row else "", "; ".join(info["cc"]) if email_row else "",
                         m.subject if email_row else "", name, doctype, digest, str(e - b + 1),
                         f"production/{label(b, ref)}.pdf"])
            if m.privileged:
                clawback.append({"beg": label(b, ref), "end": label(e, ref), "doc": list(doc)})
        page = cursor
    return concordance(rows), produced, clawback


def generate(params: Params, input_dir: Path, reference_dir: Path) -> None:
    rng = random.Random(params["seed"])
    lo, hi = dt.date.fromisoformat(params["date_from"]), dt.date.fromisoformat(params["date_to"])
    regime = params.get("regime", "standard")
    if regime not in REGIMES:
        raise ValueError(f"task.toml [variants]: regime must be one of {list(REGIMES)}, got {regime!r}")
    mails = build(rng, lo, hi, params["extra_threads"], regime, random.Random(f"counterparts-{params['seed']}"),
                  random.Random(f"updates-{params['seed']}"))
    ids = random.Random(f"message-ids-{params['seed']}")
    raws = {m.key: raw_message(m, f"{ids.getrandbits(64):016x}") for m in mails}
    stored_md5: dict[str, str] = {}
    (input_dir / "mailboxes").mkdir()
    for box in MAILBOXES:
        path = input_dir / "mailboxes" / f"{box}.mbox"
        held = [m for m in mails if box in m.holders]
        write_mbox(path, [(m, raws[m.key]) for m in held])
        box_file = mailbox.mbox(str(path))
        stored = [box_file.get_bytes(k) for k in box_file.iterkeys()]
        if [s.rstrip(b"\n") for s in stored] != [raws[m.key].rstrip(b"\n") for m in held]:
            raise AssertionError(f"{box}.mbox does not read back byte for byte")
        stored_md5 |= {m.key: hashlib.md5(s).hexdigest() for m, s in zip(held, stored, strict=True)}
    write_documents(input_dir, params)
    scope = list(params["custodians"])
    ref_mails = {}
    for m in mails:
        holders = [c for c in scope if c in m.holders]
        responsive = m.topic and lo <= m.when.date() <= hi and bool(holders)
        basis = (["Attorney-Client Privilege"] + (["Work Product"] if m.work_product else [])
                 + (["Common Interest"] if m.common_interest else [])) if m.privileged else []
        ref_mails[m.key] = {
            "md5": hash_variants(raws[m.key]), "when": m.when.isoformat(), "date": f"{m.when:%m/%d/%Y}",
            "from": [PEOPLE[m.sender][1]], "to": [PEOPLE[p][1] for p in m.to], "cc": [PEOPLE[p][1] for p in m.cc],
            "subject": m.subject, "responsive": responsive, "privileged": m.privileged, "basis": basis,
            "call": m.call, "custodian": custodian_name(holders[0]) if holders else None,
            "all_custodians": [custodian_name(c) for c in holders],
            "words": content_words(f"{m.subject}\n{m.body}"),
            # what the log must not disclose: the privileged document's own text
            "text": m.body if m.privileged else "",
            "attachments": [{"name": n, "md5": hashlib.md5(b).hexdigest(),
                             "pages": b.count(b"/Type /Page ") if mime == "application/pdf" else None,
                             "words": content_words(pdf_text(b) if mime == "application/pdf" else b.decode()),
                             "text": (pdf_text(b) if mime == "application/pdf" else b.decode()) if m.privileged
                             else ""}
                            for n, b, mime in m.attachments],
        }
    prior, clawback = [], []
    if regime == "clawback_502d":
        loadfile, prior, clawback = prior_volume(rng, mails, ref_mails, stored_md5, params)
        (input_dir / "prior_production").mkdir()
        (input_dir / "prior_production" / f"{params['prior_volume']}_loadfile.dat").write_text(loadfile,
                                                                                               encoding="utf-8")
    ref = {"prefix": params["bates_prefix"], "digits": params["bates_digits"], "start": params["bates_start"],
           "mails": ref_mails, "prior": prior, "clawback": clawback}
    (reference_dir / "reference.json").write_text(json.dumps(ref, indent=1))


# ---------------------------------------------------------------------------------------------
# grading
# ---------------------------------------------------------------------------------------------

Key = tuple[str, ...]


@dataclass
class Truth:
    """The reference, indexed for matching submitted rows to source documents."""

    ref: dict[str, Any]
    email_of_hash: dict[str, str] = field(default_factory=dict)
    parents_of_attachment: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, m in self.ref["mails"].items():
            for h in m["md5"]:
                self.email_of_hash[h] = key
            for a in m["attachments"]:
                self.parents_of_attachment.setdefault(a["md5"], []).append(key)

    @property
    def mails(self) -> dict[str, Any]:
        return self.ref["mails"]

    def family(self, key: str) -> list[Key]:
        return [("E", key)] + [("A", key, a["md5"]) for a in self.mails[key]["attachments"]]

    def produced(self) -> set[Key]:
        """What this volume produces: responsive, not privileged, not already produced in an earlier volume."""
        return {k for key, m in self.mails.items() if m["responsive"] and not m["privileged"]
                and key not in self.ref["prior"] for k in self.family(key)}

    def withheld(self) -> set[Key]:
        return {k for key, m in self.mails.items() if m["responsive"] and m["privileged"] for k in self.family(key)}

    def attachment(self, key: Key) -> dict[str, Any]:
        return next(a for a in self.mails[key[1]]["attachments"] if a["md5"] == key[2])


def parse_loadfile(text: str) -> list[dict[str, str]] | None:
    lines = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n") if line.strip()]
    if not lines or "\x14" not in lines[0]:
        return None
    split = lambda line: [f.strip().strip("\u00fe") for f in line.split("\x14")]  # noqa: E731
    header = [h.upper() for h in split(lines[0])]
    if any(f not in header for f in LOAD_FIELDS):
        return None
    return [dict(zip(header, split(line), strict=False)) for line in lines[1:]]


def addresses(text: str) -> list[str]:
    return sorted({a.lower() for a in re.findall(r"[\w.+-]+@[\w.-]+\.\w+", text or "")})


def same_date(text: str, want: str) -> bool:
    for fmt in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip()[:10], fmt).strftime("%m/%d/%Y") == want
        except ValueError:
            continue
    return False


def bates(label: str, ref: dict[str, Any]) -> int | None:
    match = re.fullmatch(re.escape(ref["prefix"]) + r"(\d{" + str(ref["digits"]) + "})", label.strip())
    return int(match.group(1)) if match else None


def label(number: int, ref: dict[str, Any]) -> str:
    return f"{ref['prefix']}{number:0{ref['digits']}d}"


def identify_rows(truth: Truth, rows: list[dict[str, str]]) -> list[Key]:
    """The source document of each load-file row: ("E", mail), ("A", mail, md5) or ("?", md5)."""
    by_beg = {r.get("BEGBATES", ""): r for r in rows}
    keys: list[Key] = []
    for r in rows:
        h = r.get("MD5HASH", "").strip().lower()
        if h in truth.email_of_hash:
            keys.append(("E", truth.email_of_hash[h]))
            continue
        parent = by_beg.get(r.get("BEGATTACH", ""))
        parent_key = truth.email_of_hash.get(parent.get("MD5HASH", "").strip().lower()) if parent else None
        if h in truth.parents_of_attachment and parent_key in truth.parents_of_attachment[h]:
            keys.append(("A", parent_key, h))
        elif len(truth.parents_of_attachment.get(h, [])) == 1:
            keys.append(("A", truth.parents_of_attachment[h][0], h))
        else:
            keys.append(("?", h))
    return keys


def jaccard(found: list[Key], want: set[Key]) -> float:
    got = set(found)
    return len(got & want) / len(got | want) if got | want else 1.0


def grade_selection(g: Grading, truth: Truth, keys: list[Key], log_keys: list[Key], log_rows: list[dict[str, str]]) -> None:
    want = truth.produced()
    score = jaccard(keys, want)
    g.check("responsive, non-privileged families produced and nothing else", score, weight=3,
            expected=f"{len(want)} documents", found=f"{len(set(keys) & want)} right of {len(set(keys))}",
            reason=f"missing {len(want - set(keys))}, not to be produced {len(set(keys) - want)}" if score < 1 else "")
    leaked = sorted({k[1] for k in keys if k[0] in "EA" and truth.mails[k[1]]["privileged"]})
    g.check("no privileged document produced", not leaked, weight=3, found=leaked,
            reason=f"privileged families produced: {leaked}" if leaked else "")
    withheld = truth.withheld()
    score = jaccard(log_keys, withheld)
    g.check("privilege log lists every withheld responsive document and only those", score, weight=2,
            expected=f"{len(withheld)} entries", found=f"{len(set(log_keys) & withheld)} right of {len(log_keys)}")
    good = 0
    for key, row in zip(log_keys, log_rows, strict=True):
        if key in withheld:
            text = row.get("Privilege_Basis", "").lower()
            found = {b for b, word in (("Attorney-Client Privilege", "attorney-client"), ("Work Product", "work product"),
                                       ("Common Interest", "common interest")) if word in text}
            good += found == set(truth.mails[key[1]]["basis"])
    g.check("privilege basis of each withheld document", good / len(withheld) if withheld else 1.0, weight=2,
            expected=len(withheld), found=good)


CALLS = {
    "counsel on the thread without privilege (in-house counsel on the business side, counsel merely copied) "
    "produced": ("counsel_business", "counsel_copied"),
    "threads with the co-party's counsel called under the agreements in force (common interest or waiver)":
        ("co_party",),
    "privilege called on each message's substance and recipients, not its label, subject or vocabulary "
    "(a plain-worded request or analysis withheld; a labelled request copied to a consultant produced)":
        ("plain", "copied_out"),
    "twin threads of the same wording called on their own facts (the consultant copied or not, advice forwarded "
    "inside or outside, counsel advising or trading, the date against the common-interest agreement)": ("twin",),
}


def grade_privilege_calls(g: Grading, truth: Truth, keys: list[Key], log_keys: list[Key]) -> None:
    """The hard privilege calls, each family right when it is produced, in this volume or an earlier one
    (not privileged), or withheld and logged (privileged), and not both."""
    produced = {k[1] for k in keys if k[0] == "E"} | set(truth.ref["prior"])
    logged = {k[1] for k in log_keys if k[0] == "E"}
    for name, calls in CALLS.items():
        items = sorted(key for key, m in truth.mails.items() if m["responsive"] and m["call"] in calls)
        wrong = [key for key in items if not (
            (key in logged and key not in produced) if truth.mails[key]["privileged"]
            else (key in produced and key not in logged))]
        g.check(name, 1 - len(wrong) / len(items) if items else 1.0, weight=2, expected=len(items),
                found=len(items) - len(wrong),
                reason=f"wrong calls: {', '.join(truth.mails[k]['subject'] for k in wrong)}" if wrong else "")


def grade_earlier_volumes(g: Grading, truth: Truth, keys: list[Key], log_keys: list[Key],
                          log_rows: list[dict[str, str]]) -> None:
    """Families of an earlier volume are not produced again, and its privileged documents are clawed back
    by their earlier Bates ranges, each tied to its entry in this volume's privilege log."""
    again = sorted({k[1] for k in keys if k[0] == "E" and k[1] in truth.ref["prior"]})
    g.check("nothing already produced in an earlier volume produced again", not again, found=again,
            reason=f"families re-produced: {again}" if again else "")
    notice = g.read_csv("clawback_notice.csv", required_columns=CLAWBACK_FIELDS, gate=False)
    if notice is None:
        return
    log_of = {r.get("Log_ID", "").strip(): k for r, k in zip(log_rows, log_keys, strict=True)}
    want = {(c["beg"], c["end"]): tuple(c["doc"]) for c in truth.ref["clawback"]}
    found = {(r.get("BEGBATES", "").strip(), r.get("ENDBATES", "").strip()): log_of.get(r.get("Log_ID", "").strip())
             for r in notice}
    wrong = sorted(f"{b}-{e}" for (b, e), doc in found.items() if want.get((b, e)) != doc)
    missing = sorted(f"{b}-{e}" for b, e in want.keys() - found.keys())
    g.check("clawback notice: exactly the privileged documents of earlier volumes, by their Bates ranges, "
            "each tied to its privilege-log entry", not wrong and not missing and len(notice) == len(want), weight=2,
            expected=sorted(f"{b}-{e}" for b, e in want), found=sorted(f"{b}-{e}" for b, e in found),
            reason="; ".join(filter(None, [f"not to claw back or not tied to its log entry: {wrong}" if wrong else "",
                                           f"missing: {missing}" if missing else ""])))


QUOTE_WORDS = 6  # a run of this many consecutive words of a withheld document is a quotation of it


def _word_runs(text: str) -> set[tuple[str, ...]]:
    """The runs of QUOTE_WORDS consecutive words of a text (lower-cased letters and digits)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + QUOTE_WORDS]) for i in range(len(words) - QUOTE_WORDS + 1)}


# A log entry must let the other side assess the claim (FRCP 26(b)(5)(A)): the attorney-client privilege rests on
# a lawyer and a legal purpose, work product on litigation anticipated; "privileged document withheld" names none.
LAWYER = re.compile(r"\b(counsel|attorneys?|lawyers?|legal)\b")
LEGAL_PURPOSE = re.compile(r"\b(advi[cs]\w*|analy[sz]\w*|opinions?|requests?\w*|guidance|review\w*|draft\w*)\b")
LITIGATION = re.compile(r"\b(litigation|anticipat\w*|dispute|lawsuit|suit|trial|arbitration|claims?)\b")


# A word is denied or hedged, not stated, under one of these in the three words before it (in its clause), or
# when what follows denies it ("counsel was not involved", "litigation: none", "advice wasn't sought").
DENIALS = {"no", "not", "never", "without", "neither", "nor", "none", "cannot", "perhaps", "possibly", "maybe",
           "might", "arguably"}
AUXILIARIES = {"is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did"}


def _denied(before: list[str], after: list[str]) -> bool:
    if DENIALS & set(before[-3:]) or any(word.endswith("n't") for word in before[-3:] + after[:2]):
        return True
    if after[:1] in (["not"], ["never"], ["none"]) and after[1:2] not in (["to"], ["only"]):
        return True
    return any(a in AUXILIARIES and b in ("not", "never") for a, b in itertools.pairwise(after[:3]))


def _affirms(pattern: re.Pattern[str], text: str) -> bool:
    """Whether the text states one of the pattern's words outright, neither denied nor hedged."""
    for clause in re.split(r"[.;,()!?]|\bbut\b", text):
        for match in pattern.finditer(clause):
            before = re.findall(r"[a-z']+", clause[:match.start()])
            after = re.findall(r"[a-z']+", clause[match.end():])
            if not _denied(before, after):
                return True
    return False


def _supports_basis(description: str, basis: str) -> bool:
    """Whether a log description states what each privilege named in ``basis`` rests on."""
    text, claimed = description.lower(), basis.lower()
    return (("attorney-client" not in claimed or (_affirms(LAWYER, text) and _affirms(LEGAL_PURPOSE, text)))
            and ("work product" not in claimed or _affirms(LITIGATION, text)))


def grade_log_metadata(g: Grading, truth: Truth, log_keys: list[Key], log_rows: list[dict[str, str]]) -> None:
    ids = [r.get("Log_ID", "") for r in log_rows]
    by_id = dict(zip(ids, log_keys, strict=True))
    good, total = 0, 0
    for key, row in zip(log_keys, log_rows, strict=True):
        if key[0] not in "EA":
            continue
        total += 1
        m = truth.mails[key[1]]
        ok = bool(re.fullmatch(r"PRIV-\d{4}", row.get("Log_ID", ""))) and ids.count(row["Log_ID"]) == 1 and \
            len(row.get("Description", "").strip()) >= 15
        if key[0] == "E":
            ok = ok and same_date(row.get("Date", ""), m["date"]) and addresses(row.get("From", "")) == m["from"] \
                and addresses(row.get("To", "")) == sorted(m["to"]) and addresses(row.get("CC", "")) == sorted(m["cc"]) \
                and row.get("Subject_or_Filename", "").strip() == m["subject"]
        else:
            ok = ok and row.get("Subject_or_Filename", "").strip() == truth.attachment(key)["name"] \
                and by_id.get(row.get("Parent_Log_ID", "")) == ("E", key[1])
        good += ok
    g.check("privilege log entries describe the source documents (date, parties, subject, parent)",
            good / total if total else 0.0, expected=total, found=good)
    # The log is served on the other side: a description that reproduces the withheld document's text
    # discloses what the log exists to protect.
    revealing = []
    for key, row in zip(log_keys, log_rows, strict=True):
        if key[0] not in "EA" or not truth.mails[key[1]]["privileged"]:
            continue
        source = truth.attachment(key) if key[0] == "A" else truth.mails[key[1]]
        shown = _word_runs(source.get("text", "")) - _word_runs(row.get("Subject_or_Filename", ""))
        if _word_runs(row.get("Description", "")) & shown:
            revealing.append(row.get("Log_ID", "") or "?")
    g.check("privilege log descriptions state the nature of each document without reproducing its privileged text",
            not revealing and total > 0, found=revealing[:6],
            reason=f"descriptions quoting the withheld document: {', '.join(revealing[:6])}" if revealing else "")
    unsupported = [row.get("Log_ID", "") or "?" for key, row in zip(log_keys, log_rows, strict=True)
                   if key[0] in "EA" and not _supports_basis(row.get("Description", ""), row.get("Privilege_Basis", ""))]
    g.check("privilege log descriptions support each privilege claimed (counsel and the legal purpose; the "
            "anticipated litigation for work product)", not unsupported and total > 0, found=unsupported[:6],
            reason=f"descriptions that do not support the claimed basis: {', '.join(unsupported[:6])}"
            if unsupported else "")


def grade_dedup(g: Grading, truth: Truth, keys: list[Key], rows: list[dict[str, str]]) -> None:
    good, want = 0, [k for k in truth.produced() if k[0] == "E"]
    for key in want:
        hits = [r for k, r in zip(keys, rows, strict=True) if k == key]
        m = truth.mails[key[1]]
        if len(hits) == 1:
            found = [c.strip() for c in hits[0].get("ALLCUSTODIANS", "").split(";") if c.strip()]
            good += hits[0].get("CUSTODIAN", "").strip() == m["custodian"] and found == m["all_custodians"]
    g.check("families deduplicated across custodians, custodian and all custodians recorded",
            good / len(want) if want else 1.0, weight=2, expected=len(want), found=good)


def grade_bates(g: Grading, truth: Truth, rows: list[dict[str, str]]) -> dict[int, tuple[int, int]]:
    ref = truth.ref
    ranges = [(bates(r.get("BEGBATES", ""), ref), bates(r.get("ENDBATES", ""), ref)) for r in rows]
    ok = bool(ranges) and all(b is not None and e is not None and e >= b for b, e in ranges)
    if ok:
        ordered = sorted(ranges)
        ok = ordered[0][0] == ref["start"] and all(n[0] == p[1] + 1 for p, n in itertools.pairwise(ordered))
    g.check("Bates numbers continuous, one per page, from the agreed start", ok, weight=2,
            expected=label(ref["start"], ref), reason="" if ok else "bad labels, a gap, an overlap or the wrong start")
    return {i: r for i, r in enumerate(ranges) if None not in r}


MIN_WORD_HEIGHT_PT = 5.0  # a glyph box under 5 pt (about 6 pt type) is not legible on a printed page
SHOWN_FRACTION = 0.9  # share of a document's words that must be visible on its pages


@dataclass
class Measured:
    """One produced PDF as a reader sees it: its page count and, per page, the words legibly shown."""

    pages: int | None
    visible: list[list[str]]


def legible(box: tuple[float, float, float, float], height: float, image: Any) -> bool:
    """A word is legible when its glyph box is tall enough and the rendered page shows dark strokes on a
    light ground there (white text, a white or black box over it, or text off the page is not)."""
    x0, y0, x1, y1 = box
    if y1 - y0 < MIN_WORD_HEIGHT_PT or image is None:
        return False
    scale = image.shape[0] / height
    crop = image[max(int(y0 * scale), 0):int(y1 * scale) + 1, max(int(x0 * scale), 0):int(x1 * scale) + 1]
    if crop.size == 0:
        return False
    dark = int((crop < 160).sum())
    return dark >= max(2, 0.02 * crop.size) and float(np.median(crop)) >= 200


def visible_words(bbox_html: str, page_images: list[Any]) -> list[list[str]]:
    """Per page, the words (pdftotext -bbox) that the rendered page (pdftoppm) legibly shows."""
    pages = []
    for index, page in enumerate(re.split(r"<page ", bbox_html)[1:]):
        height = float(re.match(r'width="[\d.]+" height="([\d.]+)"', page).group(1))
        image = page_images[index] if index < len(page_images) else None
        words = []
        for *box, word in re.findall(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">'
                                     r"(.*?)</word>", page):
            if legible(tuple(float(v) for v in box), height, image):
                words.append(html.unescape(word))
        pages.append(words)
    return pages


def measure(g: Grading, folder: Path) -> dict[str, Measured]:
    """Pages (pdfinfo), word boxes (pdftotext -bbox) and page renderings (pdftoppm, 72 dpi grey) of
    every produced PDF, made in a sandbox, reduced to the words each page legibly shows."""
    pdfs = sorted(p for p in folder.glob("*.pdf") if p.is_file())
    if not pdfs:
        return {}
    script = ('for f in p/*.pdf; do pdfinfo "$f" > "$f.info" 2>&1; pdftotext -bbox "$f" "$f.html" 2>/dev/null; '
              'mkdir -p "$f.img"; pdftoppm -r 72 -gray "$f" "$f.img/page" 2>/dev/null; done')
    result = g.run_tool(["bash", "-c", script], files={f"p/{p.name}": p for p in pdfs}, timeout=100)
    out = {}
    for p in pdfs:
        info, boxes = result.workdir / "p" / f"{p.name}.info", result.workdir / "p" / f"{p.name}.html"
        pages = page_count(info.read_text(errors="replace")) if info.is_file() else None
        renders = sorted((result.workdir / "p" / f"{p.name}.img").glob("page-*.pgm"),
                         key=lambda f: int(f.stem.rsplit("-", 1)[1]))
        images = [_grey(f) for f in renders]
        out[p.name] = Measured(pages,
                               visible_words(boxes.read_text(errors="replace"), images) if boxes.is_file() else [])
    return out


def _grey(render: Path) -> np.ndarray | None:
    """A page render (PGM) as a 2-D array of grey levels, or None when it is not a readable render."""
    pixels = parse_ppm(render.read_bytes())
    return None if pixels is None else pixels[..., 0]


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def shows_header(mail: dict[str, Any], seen: set[str]) -> bool:
    """Whether an email's rendered pages show its header block: every party of From, To and Cc (by address or
    surname) and the date sent (year, month by name or number, and day, in any usual form)."""
    names = {a: n for n, a in PEOPLE.values()}

    def party(address: str) -> bool:
        surname = names.get(address, "").lower().split()[-1:]
        return address.split("@")[0] in seen or bool(surname and surname[0] in seen)

    when = dt.date.fromisoformat(mail["when"][:10])
    numbers = {int(w) for w in seen if w.isdigit() and len(w) <= 4}
    month = any(w.startswith(MONTHS[when.month - 1]) for w in seen if w.isalpha()) or when.month in numbers
    return all(party(a) for a in mail["from"] + mail["to"] + mail["cc"]) and when.year in numbers and month \
        and when.day in numbers


def grade_pdfs(g: Grading, truth: Truth, keys: list[Key], rows: list[dict[str, str]],
               ranges: dict[int, tuple[int, int]], measured: dict[str, Measured]) -> None:
    counted, stamped, shown = 0, 0, 0
    headed, emails = 0, 0
    for i, r in enumerate(rows):
        pdf = measured.get(Path(r.get("PDFPATH", "").strip()).name, Measured(None, []))
        if i not in ranges or pdf.pages is None:
            continue
        beg, end = ranges[i]
        original = truth.attachment(keys[i]).get("pages") if keys[i][0] == "A" else None
        counted += pdf.pages == end - beg + 1 and str(pdf.pages) == r.get("PAGECOUNT", "").strip() and \
            (original is None or original == pdf.pages)
        pages = pdf.visible + [[]] * (pdf.pages - len(pdf.visible))
        stamps = [label(beg + p, truth.ref) for p in range(pdf.pages)]
        stamped += all(stamps[p] in pages[p] for p in range(pdf.pages))
        if keys[i][0] in "EA":
            want = set(truth.attachment(keys[i])["words"] if keys[i][0] == "A" else truth.mails[keys[i][1]]["words"])
            seen = {w for page in pages for word in page for w in re.findall(r"[a-z0-9]+", word.lower())}
            content_on_every_page = all(any(w != stamps[p] for w in pages[p]) for p in range(pdf.pages))
            shown += len(want & seen) >= SHOWN_FRACTION * len(want) and content_on_every_page
            if keys[i][0] == "E":
                emails += 1
                headed += shows_header(truth.mails[keys[i][1]], seen)
    n = len(rows)
    g.check("page counts re-measured in the PDFs match the Bates ranges and PAGECOUNT", counted / n if n else 0.0,
            weight=2, expected=n, found=counted)
    g.check("every page legibly carries its own Bates number", stamped / n if n else 0.0, weight=2, expected=n,
            found=stamped)
    g.check("each produced PDF legibly shows its document (rendered pages read: header, body or attachment text; "
            "no hidden, tiny, covered or blank pages)", shown / n if n else 0.0, weight=3, expected=n, found=shown,
            reason="" if shown == n else f"{n - shown} documents do not show at least {SHOWN_FRACTION:.0%} of their "
            f"words in legible type (>= {MIN_WORD_HEIGHT_PT} pt glyphs, dark on light in the rendered page)")
    g.check("each produced email's PDF legibly shows its header fields (From, To, Cc, Date)",
            headed / emails if emails else 0.0, weight=2, expected=emails, found=headed,
            reason="" if headed == emails else f"{emails - headed} emails rendered without the sender, every "
            "recipient and the date sent")


def grade_families(g: Grading, truth: Truth, keys: list[Key], rows: list[dict[str, str]],
                   ranges: dict[int, tuple[int, int]]) -> None:
    index = {k: i for i, k in enumerate(keys)}
    good, families = 0, [k[1] for k in truth.produced() if k[0] == "E"]
    for mail in families:
        members = [index.get(k) for k in truth.family(mail)]
        if None in members or any(i not in ranges for i in members):
            continue
        spans = [ranges[i] for i in members]
        contiguous = all(n[0] == p[1] + 1 for p, n in itertools.pairwise(spans))
        labels = (label(spans[0][0], truth.ref), label(spans[-1][1], truth.ref))
        marked = all((rows[i].get("BEGATTACH", "").strip(), rows[i].get("ENDATTACH", "").strip()) == labels
                     for i in members)
        good += contiguous and marked
    g.check("families kept together: attachments follow their email, BEGATTACH/ENDATTACH span the family",
            good / len(families) if families else 1.0, weight=2, expected=len(families), found=good)


def grade_metadata(g: Grading, truth: Truth, keys: list[Key], rows: list[dict[str, str]]) -> None:
    good, total = 0, 0
    for key, r in zip(keys, rows, strict=True):
        if key[0] not in "EA":
            continue
        total += 1
        if key[0] == "E":
            m = truth.mails[key[1]]
            good += r.get("DOCTYPE", "").strip().lower() == "email" and same_date(r.get("DATESENT", ""), m["date"]) \
                and addresses(r.get("FROM", "")) == m["from"] and addresses(r.get("TO", "")) == sorted(m["to"]) \
                and addresses(r.get("CC", "")) == sorted(m["cc"]) and r.get("SUBJECT", "").strip() == m["subject"]
        else:
            good += r.get("DOCTYPE", "").strip().lower() == "attachment" and \
                r.get("FILENAME", "").strip() == truth.attachment(key)["name"]
    g.check("load-file metadata matches the source (date, from, to, cc, subject, file name)",
            good / total if total else 0.0, weight=2, expected=total, found=good)


def grade_order(g: Grading, truth: Truth, keys: list[Key], ranges: dict[int, tuple[int, int]]) -> None:
    parents = sorted((ranges[i][0], truth.mails[k[1]]["when"]) for i, k in enumerate(keys)
                     if k[0] == "E" and i in ranges)
    ok = len(parents) > 0 and all(a[1] <= b[1] for a, b in itertools.pairwise(parents))
    g.check("families produced in chronological order of date sent", ok,
            reason="" if ok else "parent emails are not in date order along the Bates sequence")


def grade_folder(g: Grading, rows: list[dict[str, str]]) -> None:
    folder = g.output("production")
    on_disk = {p.name for p in folder.glob("*.pdf")}
    listed = [r.get("PDFPATH", "").strip() for r in rows]
    named = all(p == f"production/{r.get('BEGBATES', '').strip()}.pdf" for p, r in zip(listed, rows, strict=True))
    agree = named and {Path(p).name for p in listed} == on_disk and len(set(listed)) == len(listed)
    g.check("load file and production folder agree (every PDF listed once, named by its BEGBATES)", agree,
            found={"listed": len(listed), "on disk": len(on_disk)})


def log_identities(truth: Truth, log_rows: list[dict[str, str]]) -> list[Key]:
    by_id = {r.get("Log_ID", ""): r for r in log_rows}
    keys: list[Key] = []
    for r in log_rows:
        h = r.get("MD5Hash", "").strip().lower()
        if h in truth.email_of_hash:
            keys.append(("E", truth.email_of_hash[h]))
            continue
        parent = by_id.get(r.get("Parent_Log_ID", ""), {})
        parent_key = truth.email_of_hash.get(parent.get("MD5Hash", "").strip().lower())
        candidates = truth.parents_of_attachment.get(h, [])
        owner = parent_key if parent_key in candidates else candidates[0] if len(candidates) == 1 else None
        keys.append(("A", owner, h) if owner else ("?", h))
    return keys


def grade(g: Grading) -> None:
    if not g.require_files("production/loadfile.dat", "privilege_log.csv"):
        return
    truth = Truth(g.reference_json("reference.json"))
    text = g.read_text("production/loadfile.dat")
    log_rows = g.read_csv("privilege_log.csv", required_columns=LOG_FIELDS)
    if text is None or log_rows is None:
        return
    rows = parse_loadfile(text)
    if not g.check("loadfile.dat is a Concordance load file with the agreed fields", rows is not None, gate=True,
                   expected=LOAD_FIELDS):
        return
    keys = identify_rows(truth, rows)
    log_keys = log_identities(truth, log_rows)
    grade_selection(g, truth, keys, log_keys, log_rows)
    grade_privilege_calls(g, truth, keys, log_keys)
    grade_earlier_volumes(g, truth, keys, log_keys, log_rows)
    grade_log_metadata(g, truth, log_keys, log_rows)
    grade_dedup(g, truth, keys, rows)
    ranges = grade_bates(g, truth, rows)
    grade_pdfs(g, truth, keys, rows, ranges, measure(g, g.output("production")))
    grade_families(g, truth, keys, rows, ranges)
    grade_metadata(g, truth, keys, rows)
    grade_order(g, truth, keys, ranges)
    grade_folder(g, rows)

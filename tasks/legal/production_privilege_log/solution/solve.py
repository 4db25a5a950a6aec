#!/usr/bin/env python3
"""Oracle for the production: cull the in-scope mailboxes, deduplicate families by MD5, make the
responsiveness and privilege calls, render and Bates-stamp PDFs (reportlab, pypdf), verify the
page counts with pdfinfo, the structure with qpdf and the stamps with pdftotext, and write the
Concordance load file and the privilege log."""
# ALE-CANARY-aea3f2e4-c9a3-4c26-997b-83e1db709c1d

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import io
import mailbox
import os
import re
import subprocess
import textwrap
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
FIELDS = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "ALLCUSTODIANS", "DATESENT", "FROM", "TO",
          "CC", "SUBJECT", "FILENAME", "DOCTYPE", "MD5HASH", "PAGECOUNT", "PDFPATH"]
LOG = ["Log_ID", "Parent_Log_ID", "Doc_Type", "Date", "From", "To", "CC", "Subject_or_Filename", "Custodian",
       "Privilege_Basis", "Description", "MD5Hash"]
# what the request covers: the supplier (not the street of that name), the program, the agreement, and the
# housings' quality dispute that the reviewer knows from the other threads is Meridian's
TOPIC = re.compile(r"\bmeridian\b(?!\s+street)|\bproject falcon\b|\bsupply agreement\b|\bcracked housings\b", re.I)
# what a reviewer reads for: a request for or the giving of legal advice, or counsel's litigation work
# (counsel's business recommendation is not, whatever words it uses)
LEGAL = re.compile(r"legal advice|\badvice on\b|legal (?:view|analysis)|force majeure (?:claim|position) is|"
                   r"reserve its rights|attorney work product|anticipated litigation|what should i not put in writing|"
                   r"set off the documented|does the exclusivity clause|\blegal point\b|"
                   r"notice of breach under section 11", re.I)


def scope() -> dict:
    rfp = (IN / "request_for_production.md").read_text()
    protocol = (IN / "esi_protocol.md").read_text()
    custodians = re.findall(r"\(([A-Za-z]+), ([A-Za-z]+)\)", rfp.split("Custodians:")[1].split("\n")[0])
    dates = re.search(r"Date range: (\w+ \d+, \d{4}) through (\w+ \d+, \d{4})", rfp)
    prefix = re.search(r"prefix `([^`]+)`, (\d+) digits", protocol)
    start = re.search(r"beginning at " + re.escape(prefix.group(1)) + r"(\d+)", protocol)
    anticipated = re.search(r"anticipated litigation with Meridian since (\w+ \d+, \d{4})", protocol)
    parse = lambda s: dt.datetime.strptime(s, "%B %d, %Y").date()  # noqa: E731
    with open(IN / "counsel.csv", newline="") as fh:
        counsel = {r["Email"].lower() for r in csv.DictReader(fh)}
    agreement = IN / "common_interest_agreement.md"
    shared, effective = set(), None
    if agreement.is_file():
        text = agreement.read_text()
        effective = parse(re.search(r"effective\s+(\w+ \d+, \d{4})", text).group(1))
        shared = {a.lower() for a in re.findall(r"[\w.+-]+@[\w.-]+\.\w+", text)}
    return {"custodians": [(last, f"{last}, {first}") for last, first in custodians],
            "common_interest": shared, "common_interest_from": effective,
            "from": parse(dates.group(1)), "to": parse(dates.group(2)), "prefix": prefix.group(1),
            "digits": int(prefix.group(2)), "start": int(start.group(1)), "counsel": counsel,
            "anticipated": parse(anticipated.group(1))}


def addrs(msg: email.message.EmailMessage, header: str) -> list[str]:
    return [a.lower() for _, a in email.utils.getaddresses(msg.get_all(header, []))]


def collect(sc: dict) -> list[dict]:
    """Unique families across the in-scope custodians, in request order, each with its holders."""
    families: dict[str, dict] = {}
    for last, name in sc["custodians"]:
        box = mailbox.mbox(str(IN / "mailboxes" / f"{last.lower()}.mbox"))
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            digest = hashlib.md5(raw).hexdigest()
            if digest in families:
                families[digest]["holders"].append(name)
                continue
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            body = msg.get_body(preferencelist=("plain",)).get_content()
            families[digest] = {
                "md5": digest, "msg": msg, "body": body, "holders": [name],
                "sent": email.utils.parsedate_to_datetime(msg["Date"]),
                "from": addrs(msg, "From"), "to": addrs(msg, "To"), "cc": addrs(msg, "Cc"),
                "subject": str(msg["Subject"]),
                "attachments": [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
                                for p in msg.iter_attachments()],
            }
    return sorted(families.values(), key=lambda f: f["sent"])


def earlier_volumes() -> list[dict[str, str]]:
    """The rows of the load files of volumes served earlier (none for a first volume)."""
    rows = []
    for path in sorted((IN / "prior_production").glob("*.dat")) if (IN / "prior_production").is_dir() else []:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        split = lambda line: [v.strip("\u00fe") for v in line.split("\x14")]  # noqa: E731
        header = split(lines[0])
        rows += [dict(zip(header, split(line), strict=True)) for line in lines[1:]]
    return rows


def review(f: dict, sc: dict) -> None:
    """Responsiveness and privilege calls for one family."""
    text = " ".join(f"{f['subject']}\n{f['body']}".split())
    f["responsive"] = sc["from"] <= f["sent"].date() <= sc["to"] and bool(TOPIC.search(text))
    people = f["from"] + f["to"] + f["cc"]
    with_counsel = any(p in sc["counsel"] for p in people)
    outsiders = [p for p in people if not p.endswith("@halcyonind.com") and p not in sc["counsel"]]
    shared = bool(outsiders) and sc["common_interest_from"] is not None and \
        f["sent"].date() >= sc["common_interest_from"] and all(p in sc["common_interest"] for p in outsiders)
    f["privileged"] = with_counsel and bool(LEGAL.search(text)) and (not outsiders or shared)
    work_product = f["privileged"] and f["sent"].date() >= sc["anticipated"] and "litigation" in text.lower()
    f["basis"] = "Attorney-Client Privilege" + ("; Work Product" if work_product else "") + \
        ("; Common Interest" if f["privileged"] and shared else "")


def stamp_overlay(label: str) -> PdfReader:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    c.setFont("Helvetica-Bold", 9)
    c.drawRightString(letter[0] - 36, 20, label)
    c.save()
    return PdfReader(io.BytesIO(buf.getvalue()))


def text_pdf(title_lines: list[str], body: str, labels: Bates) -> bytes:
    lines = title_lines + [""] + [w for line in body.splitlines() for w in (textwrap.wrap(line, 95) or [""])]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)
    y = 750
    c.setFont("Courier", 9)
    for line in lines:
        if y < 50:
            labels.stamp(c)
            c.showPage()
            c.setFont("Courier", 9)
            y = 750
        c.drawString(40, y, line)
        y -= 11
    labels.stamp(c)
    c.save()
    return buf.getvalue()


class Bates:
    def __init__(self, sc: dict) -> None:
        self.sc = sc
        self.next = sc["start"]

    def label(self, n: int) -> str:
        return f"{self.sc['prefix']}{n:0{self.sc['digits']}d}"

    def stamp(self, c: canvas.Canvas) -> None:
        c.setFont("Helvetica-Bold", 9)
        c.drawRightString(letter[0] - 36, 20, self.label(self.next))
        self.next += 1


def produce_document(bates: Bates, data: bytes | None, title: list[str], body: str) -> tuple[int, int, Path]:
    """Write one stamped PDF; returns (first, last, path)."""
    first = bates.next
    if data is not None:  # a PDF attachment keeps its pages
        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(data)).pages:
            page.merge_page(stamp_overlay(bates.label(bates.next)).pages[0])
            writer.add_page(page)
            bates.next += 1
        buf = io.BytesIO()
        writer.write(buf)
        pdf = buf.getvalue()
    else:
        pdf = text_pdf(title, body, bates)
    path = OUT / "production" / f"{bates.label(first)}.pdf"
    path.write_bytes(pdf)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                             text=True, check=True).stdout).group(1))
    if pages != bates.next - first:
        raise SystemExit(f"{path.name}: {pages} pages but {bates.next - first} Bates numbers")
    qc_pdf(path, [bates.label(n) for n in range(first, bates.next)])
    return first, bates.next - 1, path


def qc_pdf(path: Path, labels: list[str]) -> None:
    """Quality control before serving: the PDF is structurally sound (qpdf --check) and searchable, with
    each page's Bates number in its own text (pdftotext)."""
    subprocess.run(["qpdf", "--check", str(path)], capture_output=True, check=True)
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    for number, text in zip(labels, pages, strict=False):
        if number not in text:
            raise SystemExit(f"{path.name}: page stamped {number} does not show it in its text")


def main() -> None:
    sc = scope()
    families = collect(sc)
    for f in families:
        review(f, sc)
    earlier = earlier_volumes()
    served = {r["MD5HASH"] for r in earlier if r["DOCTYPE"] == "Email"}
    (OUT / "production").mkdir(parents=True, exist_ok=True)
    bates = Bates(sc)
    rows = []
    for f in (f for f in families if f["responsive"] and not f["privileged"] and f["md5"] not in served):
        msg = f["msg"]
        header = [f"From: {msg['From']}", f"To: {msg['To']}"] + ([f"Cc: {msg['Cc']}"] if msg["Cc"] else []) + \
            [f"Date: {msg['Date']}", f"Subject: {f['subject']}"] + \
            ([f"Attachments: {', '.join(a[0] for a in f['attachments'])}"] if f["attachments"] else [])
        members = [("Email", produce_document(bates, None, header, f["body"]), "", f["md5"])]
        for name, ctype, data in f["attachments"]:
            span = produce_document(bates, data if ctype == "application/pdf" else None, [f"Attachment: {name}"],
                                    data.decode("utf-8", "replace"))
            members.append(("Attachment", span, name, hashlib.md5(data).hexdigest()))
        fam = (bates.label(members[0][1][0]), bates.label(members[-1][1][1]))
        for doctype, (first, last, path), name, digest in members:
            email_row = doctype == "Email"
            rows.append([bates.label(first), bates.label(last), *fam, f["holders"][0], "; ".join(f["holders"]),
                         f"{f['sent']:%m/%d/%Y}" if email_row else "", "; ".join(f["from"]) if email_row else "",
                         "; ".join(f["to"]) if email_row else "", "; ".join(f["cc"]) if email_row else "",
                         f["subject"] if email_row else "", name, doctype, digest, last - first + 1,
                         f"production/{path.name}"])
    q, sep = "\u00fe", "\x14"
    lines = [sep.join(f"{q}{v}{q}" for v in FIELDS)] + [sep.join(f"{q}{v}{q}" for v in r) for r in rows]
    (OUT / "production" / "loadfile.dat").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log_ids = write_log([f for f in families if f["responsive"] and f["privileged"]], sc)
    write_clawback(earlier, families, log_ids)


def write_clawback(earlier: list[dict[str, str]], families: list[dict], log_ids: dict[tuple[str, str], str]) -> None:
    """Claw back every document of a privileged family that an earlier volume produced (Rule 502(d))."""
    privileged = {f["md5"] for f in families if f["privileged"]}
    families_of = {r["BEGATTACH"]: r["MD5HASH"] for r in earlier if r["DOCTYPE"] == "Email"}
    with open(OUT / "clawback_notice.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["BEGBATES", "ENDBATES", "Log_ID"])
        for r in earlier:
            parent = families_of.get(r["BEGATTACH"])
            if parent in privileged:
                w.writerow([r["BEGBATES"], r["ENDBATES"], log_ids[(parent, r["MD5HASH"])]])


def write_log(withheld: list[dict], sc: dict) -> dict[tuple[str, str], str]:
    """Write the privilege log; return the Log_ID of each (parent email MD5, document MD5)."""
    ids: dict[tuple[str, str], str] = {}
    with open(OUT / "privilege_log.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LOG)
        n = 0
        for f in withheld:
            n += 1
            parent = f"PRIV-{n:04d}"
            ids[(f["md5"], f["md5"])] = parent
            from_counsel = f["from"][0] in sc["counsel"]
            what = ("Email from counsel to Halcyon providing legal advice" if from_counsel
                    else "Email from Halcyon personnel to counsel requesting legal advice")
            what += " concerning the Meridian supply agreement"
            anticipation = ", prepared in anticipation of litigation with Meridian" if "Work Product" in f["basis"] else ""
            what += anticipation
            w.writerow([parent, "", "Email", f"{f['sent']:%m/%d/%Y}", "; ".join(f["from"]), "; ".join(f["to"]),
                        "; ".join(f["cc"]), f["subject"], f["holders"][0], f["basis"], what, f["md5"]])
            for name, _, data in f["attachments"]:
                n += 1
                ids[(f["md5"], hashlib.md5(data).hexdigest())] = f"PRIV-{n:04d}"
                w.writerow([f"PRIV-{n:04d}", parent, "Attachment", f"{f['sent']:%m/%d/%Y}", "; ".join(f["from"]),
                            "; ".join(f["to"]), "; ".join(f["cc"]), name, f["holders"][0], f["basis"],
                            f"Attachment to {parent}: document prepared by counsel reflecting legal analysis "
                            "concerning the Meridian supply agreement" + anticipation, hashlib.md5(data).hexdigest()])
    return ids


if __name__ == "__main__":
    main()

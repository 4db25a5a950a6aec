#!/usr/bin/env python3
"""Near-miss productions: the review, the load file and the log are right, one corner is cut,
chosen by the name this script is staged under:

- stamp_only: every page carries its Bates stamp but none of the document's content;
- white_boxes: the content is drawn, then covered by white rectangles;
- tiny_text: the content is drawn in 0.7 mm (2 pt) type, the stamp in normal type;
- subject_privilege: privilege called from a "privileged" marker alone, so threads that copy an
  outsider (the privilege is waived) are withheld instead of produced;
- header_rule: privilege called from the headers alone (counsel on the thread, nobody outside Halcyon
  but its counsel), never reading what the message is for and ignoring any common-interest agreement;
- quoted_descriptions: the privilege log describes each withheld email by pasting its opening text, so the
  log served on the other side discloses the advice it withholds;
- boilerplate_descriptions: every log entry says only that a privileged document is withheld, which lets
  nobody assess the claim;
- denied_descriptions: every log entry names counsel, legal advice and litigation only to deny them, so the
  log served on the other side undermines each claim it makes;
- body_only: each email's PDF shows its subject and body but no header block (From, To, Cc, Date), so the
  produced document is not the email as sent;
- template_lookup: privilege called by looking up the generator's thread templates by subject (the
  templates that are privileged, the co-party's analysis when a common-interest agreement exists), never
  weighing who is on the thread, when it was sent or what it is for;
- length_lookup: privilege called from the headers (counsel on the thread, nobody outside it but counsel or
  the agreement's party after its date, counsel addressed rather than copied on the steering pack), and
  counsel's commercial update taken as privileged in its longer form, never reading what its closing says."""

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
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

IN = Path(os.environ["ALE_INPUT_DIR"])
OUT = Path(os.environ["ALE_OUTPUT_DIR"])
MODE = Path(sys.argv[0]).stem
LOAD = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "ALLCUSTODIANS", "DATESENT", "FROM", "TO",
        "CC", "SUBJECT", "FILENAME", "DOCTYPE", "MD5HASH", "PAGECOUNT", "PDFPATH"]
LOG = ["Log_ID", "Parent_Log_ID", "Doc_Type", "Date", "From", "To", "CC", "Subject_or_Filename", "Custodian",
       "Privilege_Basis", "Description", "MD5Hash"]

rfp = (IN / "request_for_production.md").read_text()
protocol = (IN / "esi_protocol.md").read_text()
people = re.findall(r"\(([A-Za-z]+), ([A-Za-z]+)\)", rfp.split("Custodians:")[1].split("\n")[0])
span = re.search(r"Date range: (\w+ \d+, \d{4}) through (\w+ \d+, \d{4})", rfp)
lo, hi = (dt.datetime.strptime(s, "%B %d, %Y").date() for s in span.groups())
prefix, digits = re.search(r"prefix `([^`]+)`, (\d+) digits", protocol).groups()
number = int(re.search(r"beginning at " + re.escape(prefix) + r"(\d+)", protocol).group(1))
with open(IN / "counsel.csv", newline="") as fh:
    counsel = {r["Email"].lower() for r in csv.DictReader(fh)}


def mark(n: int) -> str:
    return f"{prefix}{n:0{int(digits)}d}"


def emails(msg, name):
    return [a.lower() for _, a in email.utils.getaddresses(msg.get_all(name, []))]


seen: dict[str, dict] = {}
for last, first in people:
    box = mailbox.mbox(str(IN / "mailboxes" / f"{last.lower()}.mbox"))
    for k in box.iterkeys():
        raw = box.get_bytes(k)
        h = hashlib.md5(raw).hexdigest()
        if h in seen:
            seen[h]["holders"].append(f"{last}, {first}")
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        seen[h] = {"md5": h, "msg": msg, "holders": [f"{last}, {first}"], "body": msg.get_body(("plain",)).get_content(),
                   "sent": email.utils.parsedate_to_datetime(msg["Date"]), "from": emails(msg, "From"),
                   "to": emails(msg, "To"), "cc": emails(msg, "Cc"), "subject": str(msg["Subject"]),
                   "att": [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
                           for p in msg.iter_attachments()]}

LEGAL = re.compile(r"legal advice|\badvice on\b|legal (?:view|analysis)|force majeure (?:claim|position) is|"
                   r"reserve its rights|attorney work product|anticipated litigation|what should i not put in writing|"
                   r"set off the documented|does the exclusivity clause|\blegal point\b|"
                   r"notice of breach under section 11", re.I)
LEGAL_WORDS = re.compile(r"\blegal\b|\badvi(?:ce|se|sing)\b|\battorney|\blitigat|\bwork product\b|\bbreach\b", re.I)
TEMPLATES_PRIVILEGED = {
    "Privileged - termination rights under Meridian supply agreement",
    "Privileged & Confidential - advice on Meridian notice of breach", "Meridian - force majeure position",
    "Privileged - Meridian dispute: litigation assessment (draft)", "Meridian expedite invoices - before I reply to Frank",
    "Expedite invoices - set-off"}
agreement_parties: set[str] = set()
agreement_from = None
if (IN / "common_interest_agreement.md").is_file():
    agreement = (IN / "common_interest_agreement.md").read_text()
    agreement_from = dt.datetime.strptime(re.search(r"effective\s+(\w+ \d+, \d{4})", agreement).group(1),
                                          "%B %d, %Y").date()
    agreement_parties = {a.lower() for a in re.findall(r"[\w.+-]+@[\w.-]+\.\w+", agreement)}
fams = sorted(seen.values(), key=lambda f: f["sent"])
for f in fams:
    text = " ".join((f["subject"] + "\n" + f["body"]).split())
    topic = r"meridian|project falcon|supply agreement" if MODE == "legal_words" else \
        r"\bmeridian\b(?!\s+street)|project falcon|supply agreement|cracked housings"
    f["resp"] = lo <= f["sent"].date() <= hi and bool(re.search(topic, text, re.I))
    parties = f["from"] + f["to"] + f["cc"]
    outsiders = [p for p in parties if not p.endswith("@halcyonind.com") and p not in counsel]
    shared = bool(outsiders) and agreement_from is not None and f["sent"].date() >= agreement_from and \
        all(p in agreement_parties for p in outsiders)
    if MODE == "template_lookup":
        f["priv"] = f["subject"] in TEMPLATES_PRIVILEGED or (
            f["subject"] == "Meridian force majeure - Norland analysis" and agreement_from is not None)
        shared = f["priv"] and "Norland" in f["subject"]
    elif MODE == "length_lookup":
        f["priv"] = any(p in counsel for p in parties) and (not outsiders or shared)
        if f["subject"] == "Meridian Q4 volumes - commercial terms":
            f["priv"] = len(f["body"]) == max(len(o["body"]) for o in seen.values() if o["subject"] == f["subject"])
        if f["subject"] == "Project Falcon steering pack - Meridian delivery figures":
            f["priv"] = any(p in counsel for p in f["to"])
    elif MODE == "subject_privilege":
        f["priv"] = "privileged" in text.lower()
    elif MODE == "header_rule":
        f["priv"] = any(p in counsel for p in parties) and not outsiders
    elif MODE == "legal_words":
        f["priv"] = any(p in counsel for p in parties) and bool(LEGAL_WORDS.search(f["body"])) and \
            (not outsiders or shared)
    else:
        f["priv"] = any(p in counsel for p in parties) and bool(LEGAL.search(text)) and (not outsiders or shared)
    wp = f["sent"].date() >= dt.date(2025, 6, 16) and "litigation" in text.lower()
    f["basis"] = "Attorney-Client Privilege" + ("; Work Product" if wp else "") + ("; Common Interest" if shared else "")


def stamp(c) -> None:
    global number
    c.setFillColorRGB(0, 0, 0)
    c.setFont("Helvetica", 9)
    c.drawRightString(576, 20, mark(number))
    number += 1


def draw(c, lines) -> None:
    size = 2 if MODE == "tiny_text" else 9
    y = 750
    for line in lines:
        if y < 50:
            stamp(c)
            c.showPage()
            y = 750
        if MODE != "stamp_only":
            c.setFont("Courier", size)
            c.drawString(40, y, line)
            if MODE == "white_boxes":
                c.setFillColorRGB(1, 1, 1)
                c.rect(38, y - 3, 540, 12, stroke=0, fill=1)
                c.setFillColorRGB(0, 0, 0)
        y -= 11
    stamp(c)


def render(lines, pdf_bytes=None) -> bytes:
    buf = io.BytesIO()
    if pdf_bytes is None or MODE == "tiny_text":
        c = canvas.Canvas(buf, pagesize=letter)
        if pdf_bytes is None:
            draw(c, [w[i:i + 95] for w in lines for i in range(0, max(len(w), 1), 95)])
        else:  # each page of the attachment redrawn as its text, one page for one
            for k, page in enumerate(PdfReader(io.BytesIO(pdf_bytes)).pages):
                if k:
                    c.showPage()
                draw(c, (page.extract_text() or "").splitlines())
        c.save()
        return buf.getvalue()
    out = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        layer = io.BytesIO()
        c = canvas.Canvas(layer, pagesize=letter)
        if MODE == "white_boxes":
            c.setFillColorRGB(1, 1, 1)
            c.rect(36, 60, 540, 700, stroke=0, fill=1)
        stamp(c)
        c.save()
        over = PdfReader(io.BytesIO(layer.getvalue())).pages[0]
        if MODE == "stamp_only":
            out.add_page(over)
        else:
            page.merge_page(over)
            out.add_page(page)
    out.write(buf)
    return buf.getvalue()


(OUT / "production").mkdir(parents=True, exist_ok=True)
rows = []
for f in (f for f in fams if f["resp"] and not f["priv"]):
    m = f["msg"]
    head = [f"From: {m['From']}", f"To: {m['To']}"] + ([f"Cc: {m['Cc']}"] if m["Cc"] else []) + \
        [f"Date: {m['Date']}", f"Subject: {f['subject']}", ""]
    if MODE == "body_only":
        head = head[-2:]
    docs = [("Email", head + f["body"].splitlines(), None, "", f["md5"])]
    for name, ctype, data in f["att"]:
        pdf = data if ctype == "application/pdf" else None
        docs.append(("Attachment", data.decode("utf-8", "replace").splitlines() if pdf is None else [], pdf, name,
                     hashlib.md5(data).hexdigest()))
    made = []
    for kind, lines, pdf, name, h in docs:
        first = number
        (OUT / "production" / f"{mark(first)}.pdf").write_bytes(render(lines, pdf))
        made.append((kind, first, number - 1, name, h))
    fam = (mark(made[0][1]), mark(made[-1][2]))
    for kind, first, last, name, h in made:
        e = kind == "Email"
        rows.append([mark(first), mark(last), *fam, f["holders"][0], "; ".join(f["holders"]),
                     f"{f['sent']:%m/%d/%Y}" if e else "", "; ".join(f["from"]) if e else "",
                     "; ".join(f["to"]) if e else "", "; ".join(f["cc"]) if e else "", f["subject"] if e else "",
                     name, kind, h, last - first + 1, f"production/{mark(first)}.pdf"])
with open(OUT / "production" / "loadfile.dat", "w", encoding="utf-8") as fh:
    for r in [LOAD, *rows]:
        fh.write("\x14".join(f"\u00fe{v}\u00fe" for v in r) + "\n")
BOILERPLATE = "Privileged and confidential document withheld from production"
DENIED = ("Routine business email: counsel was not involved, legal advice was not sought, and no litigation is "
          "anticipated")


def litigation(family: dict) -> str:
    return ", prepared in anticipation of litigation" if "Work Product" in family["basis"] else ""


with open(OUT / "privilege_log.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(LOG)
    n = 0
    for f in (f for f in fams if f["resp"] and f["priv"]):
        n += 1
        parent = f"PRIV-{n:04d}"
        w.writerow([parent, "", "Email", f"{f['sent']:%m/%d/%Y}", "; ".join(f["from"]), "; ".join(f["to"]),
                    "; ".join(f["cc"]), f["subject"], f["holders"][0], f["basis"],
                    " ".join(f["body"].split())[:300] if MODE == "quoted_descriptions"
                    else BOILERPLATE if MODE == "boilerplate_descriptions"
                    else DENIED if MODE == "denied_descriptions"
                    else "Email reflecting a request for or the provision of legal advice" + litigation(f), f["md5"]])
        for name, _, data in f["att"]:
            n += 1
            w.writerow([f"PRIV-{n:04d}", parent, "Attachment", f"{f['sent']:%m/%d/%Y}", "; ".join(f["from"]),
                        "; ".join(f["to"]), "; ".join(f["cc"]), name, f["holders"][0], f["basis"],
                        BOILERPLATE if MODE == "boilerplate_descriptions"
                        else DENIED if MODE == "denied_descriptions"
                        else "Attachment reflecting legal analysis by counsel" + litigation(f),
                        hashlib.md5(data).hexdigest()])
# every mode treats the volume as a first volume: nothing clawed back
(OUT / "clawback_notice.csv").write_text("BEGBATES,ENDBATES,Log_ID\n")

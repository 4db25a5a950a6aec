#!/usr/bin/env python3
"""Plausible fabrication: a keyword sweep of every collected mailbox ("Meridian", "Falcon"),
no custodian or date culling, no deduplication, privilege decided by the word "Privileged" in
the subject, emails only (attachments dropped), one stamped page per document, nothing clawed back."""

import csv
import hashlib
import io
import mailbox
import os
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

IN = Path(os.environ.get("ALE_INPUT_DIR", "/workspace/input"))
OUT = Path(os.environ.get("ALE_OUTPUT_DIR", "/workspace/output"))
FIELDS = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "ALLCUSTODIANS", "DATESENT", "FROM", "TO",
          "CC", "SUBJECT", "FILENAME", "DOCTYPE", "MD5HASH", "PAGECOUNT", "PDFPATH"]


def main():
    (OUT / "production").mkdir(parents=True, exist_ok=True)
    protocol = (IN / "esi_protocol.md").read_text()
    prefix = protocol.split("prefix `")[1].split("`")[0]
    number = 1
    rows, log = [], []
    for path in sorted((IN / "mailboxes").glob("*.mbox")):
        box = mailbox.mbox(str(path))
        custodian = path.stem.title()
        for msg in box:
            text = str(msg["Subject"]) + str(msg.get_payload())
            if "meridian" not in text.lower() and "falcon" not in text.lower():
                continue
            digest = hashlib.md5(msg.as_bytes()).hexdigest()
            sender = "; ".join(a for _, a in getaddresses(msg.get_all("From", [])))
            to = "; ".join(a for _, a in getaddresses(msg.get_all("To", [])))
            sent = parsedate_to_datetime(msg["Date"]).strftime("%m/%d/%Y")
            if "privileged" in str(msg["Subject"]).lower():
                log.append([f"PRIV-{len(log) + 1:04d}", "", "Email", sent, sender, to, "", msg["Subject"], custodian,
                            "Attorney-Client Privilege", "Email reflecting legal advice regarding Meridian", digest])
                continue
            bates = f"{prefix}{number:06d}"
            buf = io.BytesIO()
            c = canvas.Canvas(buf, pagesize=letter)
            c.drawString(40, 740, f"Subject: {msg['Subject']}")
            c.drawRightString(570, 20, bates)
            c.save()
            (OUT / "production" / f"{bates}.pdf").write_bytes(buf.getvalue())
            rows.append([bates, bates, bates, bates, custodian, custodian, sent, sender, to, "", msg["Subject"], "",
                         "Email", digest, 1, f"production/{bates}.pdf"])
            number += 1
    q, sep = "\u00fe", "\x14"
    lines = [sep.join(f"{q}{v}{q}" for v in FIELDS)] + [sep.join(f"{q}{v}{q}" for v in r) for r in rows]
    (OUT / "production" / "loadfile.dat").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(OUT / "privilege_log.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Log_ID", "Parent_Log_ID", "Doc_Type", "Date", "From", "To", "CC", "Subject_or_Filename",
                    "Custodian", "Privilege_Basis", "Description", "MD5Hash"])
        w.writerows(log)
    (OUT / "clawback_notice.csv").write_text("BEGBATES,ENDBATES,Log_ID\n")


if __name__ == "__main__":
    main()

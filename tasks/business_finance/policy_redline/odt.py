"""Writing a policy as an ODF text document, and reading a redline back from one.

The reader walks the body of content.xml in document order and turns it into segments: text common to
both versions, text a tracked insertion added, text a tracked deletion removed (restored from
``text:tracked-changes`` at its ``text:change`` mark), and comment anchors. Accepting every change keeps
common and inserted text; rejecting every change keeps common and deleted text. Paragraph ends are
segments of a single newline, so a change that takes a paragraph break with it is seen as such.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
}
_DECLS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())
_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
             'opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
             '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
             '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
             '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
             '</manifest:manifest>')
_STYLES = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_DECLS} office:version="1.2">'
           '<office:styles>'
           '<style:style style:name="Standard" style:family="paragraph"><style:paragraph-properties '
           'fo:margin-bottom="0.2cm"/><style:text-properties fo:font-size="11pt"/></style:style>'
           '<style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard">'
           '<style:text-properties fo:font-size="16pt" fo:font-weight="bold"/></style:style>'
           '<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" '
           'style:parent-style-name="Standard" style:default-outline-level="1"><style:paragraph-properties '
           'fo:margin-top="0.4cm"/><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>'
           '</office:styles></office:document-styles>')


def write_odt(path: Path, paragraphs: list[tuple[str, str]]) -> None:
    """An ODF text document of (style, text) paragraphs; style ``Title``, ``Heading`` or ``Standard``."""
    body = []
    for style, text in paragraphs:
        if style == "Heading":
            body.append(f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(text)}</text:h>')
        else:
            body.append(f'<text:p text:style-name="{style}">{escape(text)}</text:p>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_DECLS} office:version="1.2">'
               f'<office:body><office:text>{"".join(body)}</office:text></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as odt:
        odt.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        odt.writestr("META-INF/manifest.xml", _MANIFEST, zipfile.ZIP_DEFLATED)
        odt.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        odt.writestr("styles.xml", _STYLES, zipfile.ZIP_DEFLATED)


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


@dataclass
class Segment:
    text: str
    status: str  # common | inserted | deleted | comment
    change: str = ""  # the changed region's id; a comment's text
    author: str = ""  # of the change or the comment


@dataclass
class Redline:
    segments: list[Segment] = field(default_factory=list)
    authors: dict[str, str] = field(default_factory=dict)  # change id -> dc:creator
    kinds: dict[str, str] = field(default_factory=dict)  # change id -> insertion | deletion | format-change

    def accepted(self) -> str:
        return "".join(s.text for s in self.segments if s.status in ("common", "inserted"))

    def rejected(self) -> str:
        return "".join(s.text for s in self.segments if s.status in ("common", "deleted"))


def _inline_text(element: ET.Element) -> str:
    """The plain text of a paragraph's content (used for deleted paragraphs and comments)."""
    out = [element.text or ""]
    for child in element:
        if child.tag == _q("text", "s"):
            out.append(" " * int(child.get(_q("text", "c"), "1")))
        elif child.tag in (_q("text", "tab"), _q("text", "line-break")):
            out.append(" ")
        elif child.tag not in (_q("office", "annotation"), _q("text", "note"), _q("text", "tracked-changes")):
            out.append(_inline_text(child))
        out.append(child.tail or "")
    return "".join(out)


def _creator(element: ET.Element) -> str:
    found = element.find(".//dc:creator", NS)
    return (found.text or "").strip() if found is not None else ""


def _comment(annotation: ET.Element) -> Segment:
    """A comment's anchor, its text held in ``change``."""
    text = " ".join(_inline_text(p) for p in annotation.iterfind("text:p", NS))
    return Segment("", "comment", change=text, author=_creator(annotation))


def read_redline(path: Path) -> Redline:
    """The redline of an ODT; raises ValueError when the file is not an ODF text document."""
    try:
        with zipfile.ZipFile(path) as odt:
            root = ET.fromstring(odt.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as error:
        raise ValueError(f"not a readable ODF text document: {error}") from error
    body = root.find("office:body/office:text", NS)
    if body is None:
        raise ValueError("content.xml has no office:text body")
    redline = Redline()
    deleted: dict[str, str] = {}
    deleted_comments: dict[str, list[Segment]] = {}  # comments anchored in text a deletion took away
    for region in body.iterfind("text:tracked-changes/text:changed-region", NS):
        ident = region.get(_q("text", "id")) or region.get("{http://www.w3.org/XML/1998/namespace}id") or ""
        change = next(iter(region), None)
        if change is None:
            continue
        redline.kinds[ident] = change.tag.split("}")[1]
        redline.authors[ident] = _creator(change)
        if change.tag == _q("text", "deletion"):
            paragraphs = [p for p in change if p.tag in (_q("text", "p"), _q("text", "h"))]
            deleted[ident] = "\n".join(_inline_text(p) for p in paragraphs)
            deleted_comments[ident] = [_comment(a) for a in change.iterfind(".//office:annotation", NS)]
    open_insertions: list[str] = []

    def emit(text: str) -> None:
        if not text:
            return
        if open_insertions:
            redline.segments.append(Segment(text, "inserted", open_insertions[-1],
                                            redline.authors.get(open_insertions[-1], "")))
        else:
            redline.segments.append(Segment(text, "common"))

    def walk(element: ET.Element) -> None:
        emit(element.text or "")
        for child in element:
            tag = child.tag
            if tag == _q("text", "s"):
                emit(" " * int(child.get(_q("text", "c"), "1")))
            elif tag in (_q("text", "tab"), _q("text", "line-break")):
                emit(" ")
            elif tag == _q("text", "change-start"):
                ident = child.get(_q("text", "change-id"), "")
                if redline.kinds.get(ident) == "insertion":
                    open_insertions.append(ident)
            elif tag == _q("text", "change-end"):
                ident = child.get(_q("text", "change-id"), "")
                if ident in open_insertions:
                    open_insertions.remove(ident)
            elif tag == _q("text", "change"):
                ident = child.get(_q("text", "change-id"), "")
                for line in re.split(r"(\n)", deleted.get(ident, "")):  # a line at a time: each its own clause
                    if line:
                        redline.segments.append(Segment(line, "deleted", ident, redline.authors[ident]))
                redline.segments += deleted_comments.get(ident, [])
            elif tag == _q("office", "annotation"):
                redline.segments.append(_comment(child))
            elif tag in (_q("text", "p"), _q("text", "h")):
                walk(child)
                emit("\n")
            elif tag not in (_q("text", "tracked-changes"), _q("text", "note"), _q("office", "annotation-end"),
                             _q("text", "sequence-decls"), _q("text", "variable-decls")):
                walk(child)
            emit(child.tail or "")

    walk(body)
    return redline


def normalize(text: str) -> str:
    """Whitespace collapsed, typographic quotes and dashes made plain."""
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                         "\u2013": "-", "\u2014": "-", "\u00a0": " "}))
    return re.sub(r"\s+", " ", text).strip()

"""The company's Impress template (.otp), written as ODF XML: one master page (the company's name) with a
coloured band, a logo block and the company's name, a title and an outline area."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'office:version="1.2"')
MIME = "application/vnd.oasis.opendocument.presentation-template"


def _styles(master: str, company: str, colour: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {NS}>
<office:styles>
 <style:style style:name="band" style:family="graphic"><style:graphic-properties draw:fill="solid" draw:fill-color="{colour}" draw:stroke="none"/></style:style>
 <style:style style:name="logo" style:family="graphic"><style:graphic-properties draw:fill="solid" draw:fill-color="#ffffff" draw:stroke="solid" svg:stroke-color="{colour}"/><style:text-properties fo:color="{colour}" fo:font-size="14pt" fo:font-weight="bold"/></style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="PM1"><style:page-layout-properties fo:margin-top="0cm" fo:margin-bottom="0cm" fo:margin-left="0cm" fo:margin-right="0cm" fo:page-width="28cm" fo:page-height="15.75cm" style:print-orientation="landscape"/></style:page-layout>
 <style:style style:name="Mdp1" style:family="drawing-page"><style:drawing-page-properties draw:background-size="border" draw:fill="solid" draw:fill-color="#fbfaf6"/></style:style>
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="{master}" style:page-layout-name="PM1" draw:style-name="Mdp1">
  <draw:rect draw:style-name="band" draw:layer="backgroundobjects" svg:x="0cm" svg:y="14.5cm" svg:width="28cm" svg:height="1.25cm"/>
  <draw:rect draw:style-name="logo" draw:layer="backgroundobjects" svg:x="23.2cm" svg:y="0.5cm" svg:width="4.2cm" svg:height="1.4cm"><text:p>{escape(company.split()[0].upper())}</text:p></draw:rect>
  <draw:frame presentation:class="title" presentation:placeholder="true" svg:x="1.4cm" svg:y="0.6cm" svg:width="21cm" svg:height="2.2cm"><draw:text-box/></draw:frame>
  <draw:frame presentation:class="outline" presentation:placeholder="true" svg:x="1.4cm" svg:y="3.4cm" svg:width="25.2cm" svg:height="10.6cm"><draw:text-box/></draw:frame>
 </style:master-page>
</office:master-styles>
</office:document-styles>"""


def _content(master: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {NS}>
<office:body><office:presentation>
 <draw:page draw:name="page1" draw:master-page-name="{master}"/>
</office:presentation></office:body>
</office:document-content>"""


def write_template(path: Path, master: str, company: str, colour: str) -> None:
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                f'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{MIME}"/>'
                + "".join(f'<manifest:file-entry manifest:full-path="{n}" manifest:media-type="text/xml"/>'
                          for n in ("content.xml", "styles.xml")) + "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as otp:
        otp.writestr(zipfile.ZipInfo("mimetype"), MIME)
        otp.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        otp.writestr("content.xml", _content(master), zipfile.ZIP_DEFLATED)
        otp.writestr("styles.xml", _styles(master, company, colour), zipfile.ZIP_DEFLATED)

#!/usr/bin/env python3
"""Run by the grader in a tool sandbox: open a deck in a headless soffice and report what Impress sees.

Usage: inspect_deck.py DECK. Writes report.json: {"slides": [...]} with, per slide, its master page's
name and drawing shapes (kind, solid fill colour, text), its layout, its title placeholder's text, its other
text shapes (their paragraphs, whether visible, and where they sit: x, y, width, height), its tables' cells,
its charts (type, row and column descriptions, data, and where they sit) and pictures, its page size, and its
speaker notes; or
{"error": ...} when the file is no presentation.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

CHART_CLSID = "12dcae26-281f-416f-a234-c3086127382e"


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def shapes(page):
    """Every shape of the page, groups opened."""
    for i in range(page.getCount()):
        shape = page.getByIndex(i)
        if shape.getShapeType() == "com.sun.star.drawing.GroupShape":
            yield from shapes(shape)
        else:
            yield shape


def chart_of(shape) -> dict | None:
    model = None
    with contextlib.suppress(Exception):
        if str(shape.CLSID).lower() == CHART_CLSID:
            model = shape.Model
    if model is None:
        return None
    data = model.getData()
    return {"type": model.getDiagram().getDiagramType(), "rows": list(data.getRowDescriptions()),
            "columns": list(data.getColumnDescriptions()), "data": [list(r) for r in data.getData()]}


def master_shapes(master) -> list[dict]:
    """The master page's drawing shapes (not its placeholders): kind, fill colour (RGB int, solid fills) and text."""
    out = []
    for shape in shapes(master):
        kind = shape.getShapeType()
        if kind.startswith("com.sun.star.presentation."):
            continue
        fill = None
        with contextlib.suppress(Exception):
            if shape.FillStyle.value == "SOLID":
                fill = shape.FillColor
        text = ""
        with contextlib.suppress(Exception):
            text = shape.getString()
        out.append({"kind": kind, "fill": fill, "text": text})
    return out


def slide(page) -> dict:
    out = {"size": [page.Width, page.Height], "master": page.MasterPage.Name, "master_shapes": master_shapes(page.MasterPage), "layout": page.Layout,
           "title": None, "texts": [], "tables": [],
           "charts": [], "pictures": 0, "notes": ""}
    for shape in shapes(page):
        kind = shape.getShapeType()
        if kind == "com.sun.star.presentation.TitleTextShape":
            out["title"] = shape.getString()
        elif kind in ("com.sun.star.drawing.TableShape", "com.sun.star.presentation.TableShape"):
            model = shape.Model
            out["tables"].append([[model.getCellByPosition(c, r).getString() for c in range(model.getColumns().getCount())]
                                  for r in range(model.getRows().getCount())])
        elif kind in ("com.sun.star.drawing.OLE2Shape", "com.sun.star.presentation.ChartShape",
                      "com.sun.star.presentation.OLE2Shape"):
            chart = chart_of(shape)
            if chart is not None:
                position, extent = shape.getPosition(), shape.getSize()
                chart["box"] = [position.X, position.Y, extent.Width, extent.Height]
                out["charts"].append(chart)
        elif kind in ("com.sun.star.drawing.GraphicObjectShape", "com.sun.star.presentation.GraphicObjectShape"):
            out["pictures"] += 1
        elif hasattr(shape, "getString"):
            paragraphs = [p for p in shape.getString().splitlines() if p.strip()]
            if paragraphs:
                position, extent = shape.getPosition(), shape.getSize()
                visible = True
                with contextlib.suppress(Exception):
                    visible = bool(shape.Visible)
                out["texts"].append({"paragraphs": paragraphs, "visible": visible,
                                     "box": [position.X, position.Y, extent.Width, extent.Height]})
    notes = page.getNotesPage()
    out["notes"] = "\n".join(s.getString() for s in shapes(notes)
                             if s.getShapeType() != "com.sun.star.presentation.PageShape" and hasattr(s, "getString"))
    return out


def main() -> None:
    deck = Path(sys.argv[1]).resolve()
    profile = Path("lo-profile").resolve()
    pipe = f"ale_inspect_{os.getpid()}"
    office = subprocess.Popen(["soffice", "--headless", "--norestore", "--nologo", "--nodefault",
                               f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report: dict = {}
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(600):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:  # soffice still starting
                time.sleep(0.2)
        else:
            raise SystemExit("soffice did not answer")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(deck.as_uri(), "_blank", 0, (prop("Hidden", True),))
        if doc is None or not hasattr(doc, "getDrawPages") or not doc.supportsService(
                "com.sun.star.presentation.PresentationDocument"):
            report = {"error": "not a presentation Impress can open"}
        else:
            pages = doc.getDrawPages()
            report = {"slides": [slide(pages.getByIndex(i)) for i in range(pages.getCount())],
                      "masters": [doc.getMasterPages().getByIndex(i).Name
                                  for i in range(doc.getMasterPages().getCount())]}
        with contextlib.suppress(Exception):
            doc.close(True)
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
    Path("report.json").write_text(json.dumps(report, default=str))


if __name__ == "__main__":
    main()

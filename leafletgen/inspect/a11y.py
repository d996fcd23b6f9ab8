"""Machine-checkable PDF/UA-1 checks (a subset of the Matterhorn Protocol), for any PDF.

veraPDF and PAC are not available here, so leafletgen checks what a program can:
tagging, structure, languages, title, headings, lists, tables, figures, fonts,
bookmarks and reading order. ``leafletgen a11y FILE.pdf`` prints the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pikepdf

from leafletgen.inspect.readback import marked_content_text, unmapped_codes
from leafletgen.inspect.structure import walk

_LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
_PAINTING = {"Tj", "TJ", "'", '"', "Do", "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "sh", "BI"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_pdf(pdf: pikepdf.Pdf) -> list[Check]:
    checks: list[Check] = []

    def add(name: str, ok: bool, detail: str) -> None:
        checks.append(Check(name, ok, detail))

    root = pdf.Root
    meta = pdf.open_metadata()
    add("PDF/UA identifier", meta.get("pdfuaid:part") == "1", f"pdfuaid:part = {meta.get('pdfuaid:part')}")
    mark_info = root.get("/MarkInfo")
    marked = isinstance(mark_info, pikepdf.Dictionary) and bool(mark_info.get("/Marked", False))
    add("marked as tagged", marked, "MarkInfo /Marked true" if marked else "MarkInfo /Marked missing or false")
    tree = root.get("/StructTreeRoot")
    elements = [(v.element, v.lang) for v in walk(tree.K, lang=str(root.Lang) if "/Lang" in root else None)
                if v.element is not None] if tree is not None else []
    add("structure tree", bool(elements), f"{len(elements)} structure elements")

    untagged = 0
    for page in pdf.pages:
        depth = 0
        for instruction in pikepdf.parse_content_stream(page):
            op = str(instruction.operator)
            if op in ("BDC", "BMC"):
                depth += 1
            elif op == "EMC":
                depth -= 1
            elif op in _PAINTING and depth <= 0:
                untagged += 1
    add("all content tagged or artifact", untagged == 0, f"{untagged} painting operators outside marked content")
    orphans = _orphan_content(pdf, {e.objgen for e, _ in elements})
    add("tagged content belongs to the structure tree", orphans == 0,
        f"{orphans} marked-content sequences whose structure element is outside the tree")

    lang = str(root.Lang) if "/Lang" in root else ""
    add("document language", bool(lang), f"/Lang = {lang!r}")
    other = sorted({str(e.Lang) for e, _ in elements if "/Lang" in e and str(e.Lang) != lang})
    add("languages of parts", all(_LANG_TAG.match(x) for x in other),
        f"parts in other languages: {', '.join(other) or 'none'}")

    title = str(pdf.docinfo.get("/Title", "")) or str(meta.get("dc:title", "") or "")
    prefs = root.get("/ViewerPreferences")
    display = isinstance(prefs, pikepdf.Dictionary) and bool(prefs.get("/DisplayDocTitle", False))
    add("title shown as window title", bool(title) and display, f"title {title!r}, DisplayDocTitle {display}")

    levels = [int(str(e.S)[2:]) for e, _ in elements if str(e.S) in {f"/H{i}" for i in range(1, 7)}]
    skipped = [(a, b) for a, b in zip([0, *levels], levels, strict=False) if b > a + 1]
    add("headings nest without skipped levels", bool(levels) and not skipped,
        f"{len(levels)} headings" + (f"; skips: {skipped[:3]}" if skipped else ""))

    bad_lists = 0
    lists = 0
    for e, _ in elements:
        kids = [k for k in (e.K if isinstance(e.get("/K"), pikepdf.Array) else [])
                if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        if e.S == "/L":
            lists += 1
            bad_lists += any(k.S not in ("/LI", "/L", "/Caption") for k in kids)
        elif e.S == "/LI":
            bad_lists += any(k.S not in ("/Lbl", "/LBody") for k in kids)
    add("lists are L / LI / Lbl+LBody", bad_lists == 0, f"{lists} lists, {bad_lists} malformed")

    tables = [e for e, _ in elements if e.S == "/Table"]
    headerless = 0
    for table in tables:
        if not any(v.element is not None and v.element.S == "/TH" for v in walk(table.K)):
            headerless += 1
    add("tables have header cells", headerless == 0, f"{len(tables)} tables, {headerless} without TH")

    figures = [e for e, _ in elements if e.S == "/Figure"]
    no_alt = sum(1 for f in figures if not str(f.get("/Alt", "")).strip())
    add("figures have alternative text", no_alt == 0, f"{len(figures)} figures, {no_alt} without /Alt")

    fonts, problems = _fonts(pdf)
    detail = f"{fonts} fonts" + (f"; {problems[0]}" if problems else "")
    add("fonts embedded with Unicode mapping", not problems, detail)

    outline_titles = _outline_titles(pdf)
    add("bookmarks", len(outline_titles) >= max(1, levels.count(1) + levels.count(2)),
        f"{len(outline_titles)} bookmarks for {levels.count(1) + levels.count(2)} h1/h2 headings")

    add("reading order follows page order", _order_ok(pdf, elements), "structure order vs page order")

    drawn, unmapped = unmapped_codes(pdf)
    add("every drawn code maps to Unicode", unmapped == 0, f"{unmapped} of {drawn} drawn codes without a mapping")
    checked, wrong = _maps_against_actual_text(pdf, elements)
    add("Unicode maps agree with the structure's text", wrong == 0,
        f"{wrong} of {checked} fragments read otherwise from their glyphs than their /ActualText")
    split = _split_elements(elements)
    add("one element per part, section, list and table", not split,
        f"{len(split)} continued on the next page as a second element" + (f": {split[0]}" if split else ""))
    headers = [e for e, _ in elements if e.S == "/TH"]
    referenced = {str(h) for e, _ in elements if e.S == "/TD" and isinstance(e.get("/A"), pikepdf.Dictionary)
                  for h in e.A.get("/Headers", [])}
    unscoped = sum(1 for th in headers if not (isinstance(th.get("/A"), pikepdf.Dictionary) and "/Scope" in th.A)
                   and str(th.get("/ID", "")) not in referenced)
    add("header cells have a scope", unscoped == 0, f"{len(headers)} header cells, {unscoped} without /Scope")
    outside = sum(1 for f in figures if not _bbox_inside(f))
    add("figure bounding boxes on the page", outside == 0,
        f"{len(figures)} figures, {outside} with a /BBox off the page")
    return checks


def _normal(text: str) -> Counter[str]:
    """The characters of a text, in any order, without spaces, hyphens and invisible marks."""
    text = unicodedata.normalize("NFC", text)
    return Counter(c for c in text if not c.isspace() and c not in "-\u00ad\u200b\u200c\u200d\u200e\u200f")


def _maps_against_actual_text(pdf: pikepdf.Pdf,
                              elements: list[tuple[pikepdf.Dictionary, str | None]]) -> tuple[int, int]:
    """Fragments whose glyphs' text (as a multiset of characters: right-to-left glyphs are drawn in
    visual order) differs from their /ActualText."""
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    content: dict[int, dict[int, str]] = {}
    checked = wrong = 0
    for element, _ in elements:
        if "/ActualText" not in element or "/Pg" not in element or not isinstance(element.get("/K"), pikepdf.Array):
            continue
        number = pages.get(element.Pg.objgen)
        mcids = [int(k) for k in element.K if isinstance(k, int)]
        if number is None or not mcids:
            continue
        if number not in content:
            content[number] = marked_content_text(pdf.pages[number])
        drawn = "".join(content[number].get(m, "") for m in mcids)
        checked += 1
        wrong += _normal(drawn) != _normal(str(element.ActualText))
    return checked, wrong


def _split_elements(elements: list[tuple[pikepdf.Dictionary, str | None]]) -> list[str]:
    """Lists and tables followed, as the next sibling, by one of the same kind starting on a later page:
    WeasyPrint's one-subtree-per-page structure, where a screen reader announces two of them."""
    found = []
    for element, _ in elements:
        kids = [k for k in (element.K if isinstance(element.get("/K"), pikepdf.Array) else [])
                if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        for a, b in pairwise(kids):
            if a.S != b.S or str(a.S) not in ("/L", "/Table", "/Sect", "/Art", "/Part") or "/Pg" not in a \
                    or "/Pg" not in b or a.Pg.objgen == b.Pg.objgen:
                continue
            if str(a.S) in ("/Art", "/Part"):  # a part of the document in one language, not one per page
                if str(a.get("/Lang", "")) == str(b.get("/Lang", "")):
                    found.append(str(a.S)[1:])
                continue
            first = next((k for k in (b.K if isinstance(b.get("/K"), pikepdf.Array) else [])
                          if isinstance(k, pikepdf.Dictionary) and "/S" in k), None)
            first_kind = str(first.S) if first is not None else ""
            # a section starts with its heading, a table with its caption or header, a list with an item
            # (two lists in a row can be two lists: a piece of one is caught by the part around it)
            if (a.S == "/Sect" and not first_kind.startswith("/H")) \
                    or (a.S == "/L" and first_kind != "/LI") \
                    or (a.S == "/Table" and first_kind not in ("/Caption", "/THead")):
                found.append(str(a.S)[1:])
    return found


def _bbox_inside(figure: pikepdf.Dictionary) -> bool:
    attributes = figure.get("/A")
    if not isinstance(attributes, pikepdf.Dictionary) or "/BBox" not in attributes or "/Pg" not in figure:
        return False
    x1, y1, x2, y2 = (float(v) for v in attributes.BBox)
    _, _, width, height = (float(v) for v in figure.Pg.MediaBox)
    return 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height


def _orphan_content(pdf: pikepdf.Pdf, in_tree: set[tuple[int, int]]) -> int:
    """MCIDs used on pages whose ParentTree element is missing or not reachable from the root."""
    tree = pdf.Root.get("/StructTreeRoot")
    parent_tree = tree.get("/ParentTree") if tree is not None else None
    nums = parent_tree.get("/Nums", pikepdf.Array()) if parent_tree is not None else pikepdf.Array()
    by_page = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    orphans = 0
    for number, page in enumerate(pdf.pages):
        mapping = by_page.get(int(page.obj.get("/StructParents", number)))
        for instruction in pikepdf.parse_content_stream(page):
            operands = list(instruction.operands)
            if (str(instruction.operator) == "BDC" and len(operands) == 2
                    and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]):
                mcid = int(operands[1].MCID)
                element = mapping[mcid] if isinstance(mapping, pikepdf.Array) and mcid < len(mapping) else None
                if not isinstance(element, pikepdf.Dictionary) or element.objgen not in in_tree:
                    orphans += 1
    return orphans


def _fonts(pdf: pikepdf.Pdf) -> tuple[int, list[str]]:
    seen: dict[tuple[int, int], str] = {}
    problems: list[str] = []
    for page in pdf.pages:
        for name, font in page.Resources.get("/Font", {}).items():
            if font.objgen in seen:
                continue
            seen[font.objgen] = name
            base = str(font.get("/BaseFont", name))
            descriptor = (font.DescendantFonts[0].get("/FontDescriptor") if "/DescendantFonts" in font
                          else font.get("/FontDescriptor"))
            if font.get("/Subtype") != "/Type3" and (
                    descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))):
                problems.append(f"{base} not embedded")
            if "/ToUnicode" not in font:
                problems.append(f"{base} has no ToUnicode map")
    return len(seen), problems


def _outline_titles(pdf: pikepdf.Pdf) -> list[str]:
    titles: list[str] = []
    with pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop()
            titles.append(str(item.title))
            stack.extend(item.children)
    return titles


def _order_ok(pdf: pikepdf.Pdf, elements: list[tuple[pikepdf.Dictionary, str | None]]) -> bool:
    pages = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    numbers = [pages.get(e.Pg.objgen, 0) for e, _ in elements if "/Pg" in e and str(e.S).startswith("/H")]
    return numbers == sorted(numbers)


def check_file(path: Path) -> list[Check]:
    with pikepdf.open(path) as pdf:
        return check_pdf(pdf)


def format_report(path: str, checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{path}: PDF/UA-1 machine checks (a subset of the Matterhorn Protocol)"]
    lines += [f"  {'ok  ' if c.ok else 'FAIL'}  {c.name.ljust(width)}  {c.detail}" for c in checks]
    failed = sum(1 for c in checks if not c.ok)
    lines.append(f"{len(checks) - failed} passed, {failed} failed")
    return "\n".join(lines)

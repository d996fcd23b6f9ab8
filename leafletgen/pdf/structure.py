"""One structure element for one thing: WeasyPrint's per-page structure, merged after layout.

WeasyPrint's structure tree builder (``weasyprint/pdf/tags.py``) builds one subtree per
page, so a section, list or table that runs over a page end becomes two elements (a
screen reader announces two lists, or a second, captionless table), a table's header
row repeated on the next page is read again, header cells have no ``/Scope``, a
figure's ``/BBox`` is in CSS pixels from the top left, and ``/Lang`` is only on the
document. Running in the finisher, with the layout's boxes (engine.py lists them in the
order tags.py creates the elements), this module:

- merges elements that continue the same HTML element across a page end, level by level
  (a marked-content reference on another page than its new parent's becomes an ``/MCR``);
- turns a repeated table header (or footer) group into a pagination artifact and points
  the data cells at the first header cells;
- sets ``/Scope`` (Column in a header group or by ``scope="col"``, Row otherwise);
- writes each figure's ``/BBox`` in PDF user space;
- sets ``/Lang`` on every element whose language differs from its parent's;
- puts a floated figure among its siblings where its HTML element is (a pictogram is
  read after the heading of the box it sits in, not before).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydyf

from leafletgen.errors import Problem, RenderError


@dataclass(frozen=True)
class BoxInfo:
    """What the finisher knows of the layout box behind one structure element (creation order)."""

    tag: str  # the PDF structure type tags.py gives it, without the slash
    element: object  # the HTML element (identity), None for anonymous boxes
    order: int  # the HTML element's position in the document (-1: none)
    lang: str
    in_header: bool = False  # a cell of a thead
    scope: str = ""  # a th's scope attribute
    bbox: tuple[float, float, float, float] | None = None  # a figure's border box, CSS px


def fix_structure(pdf: pydyf.PDF, deref: Any, pages: Sequence[pydyf.Dictionary],
                  boxes: Sequence[BoxInfo], *, name: str) -> None:
    """Merge, scope, bound and label the structure tree of a PDF about to be written."""
    if not boxes:
        return
    root = deref(pdf.catalog["StructTreeRoot"])
    document = deref(root["K"][0])
    elements = [o for o in pdf.objects if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/StructElem"
                and o is not document]
    if [str(e["S"])[1:] for e in elements] != [b.tag for b in boxes]:
        raise RenderError(Problem(name, "structure", "the structure tree differs from the layout"))
    info = {id(e): b for e, b in zip(elements, boxes, strict=True)}
    page_of = {str(page_ref): page for page_ref, page in zip(pdf.page_references, pages, strict=True)}
    merger = _Merger(deref, info, page_of)
    merger.merge(document)
    _retarget_parent_tree(root, deref, merger)
    merger.fix_headers(elements)
    lang = str(getattr(pdf.catalog.get("Lang"), "string", "") or "").lower()
    _label(document, deref, info, page_of, lang)


class _Merger:
    def __init__(self, deref: Any, info: dict[int, BoxInfo], page_of: dict[str, pydyf.Dictionary]) -> None:
        self.deref, self.info, self.page_of = deref, info, page_of
        self.survivor: dict[int, pydyf.Dictionary] = {}  # id(merged-away element) -> the element kept
        self.artifacts: list[pydyf.Dictionary] = []  # repeated header groups
        self.header_ids: dict[str, pydyf.String] = {}  # a repeated TH's ID -> the first TH's ID

    def merge(self, element: pydyf.Dictionary) -> None:
        kids: list[Any] = []
        seen_groups: dict[int, pydyf.Dictionary] = {}
        for ref in element["K"]:
            kid = self.deref(ref)
            box = self.info.get(id(kid)) if isinstance(kid, pydyf.Dictionary) else None
            if box is not None and box.tag in ("THead", "TFoot") and box.element is not None:
                if id(box.element) in seen_groups:  # the header row repeated on a new page
                    self._repeat(seen_groups[id(box.element)], kid)
                    continue
                seen_groups[id(box.element)] = kid
            previous = self.deref(kids[-1]) if kids else None
            if box is not None and isinstance(previous, pydyf.Dictionary) and self._continues(previous, kid):
                self._absorb(previous, kid)
                continue
            kids.append(ref)
        element["K"] = pydyf.Array(self._ordered(kids))
        for ref in element["K"]:
            kid = self.deref(ref)
            if isinstance(kid, pydyf.Dictionary) and "S" in kid:
                self.merge(kid)

    def _continues(self, previous: pydyf.Dictionary, kid: pydyf.Dictionary) -> bool:
        a, b = self.info.get(id(previous)), self.info.get(id(kid))
        return (a is not None and b is not None and a.element is not None and a.element is b.element
                and a.tag == b.tag and a.tag != "Span" and str(previous.get("Pg")) != str(kid.get("Pg")))

    def _absorb(self, keep: pydyf.Dictionary, gone: pydyf.Dictionary) -> None:
        for ref in gone["K"]:
            kid = self.deref(ref)
            if isinstance(kid, int):  # an MCID on the other page: a marked-content reference
                keep["K"].append(pydyf.Dictionary({"Type": "/MCR", "Pg": gone["Pg"], "MCID": kid}))
                continue
            if isinstance(kid, pydyf.Dictionary) and "P" in kid:
                kid["P"] = keep.reference
            keep["K"].append(ref)
        self.survivor[id(gone)] = keep

    def _repeat(self, first: pydyf.Dictionary, repeated: pydyf.Dictionary) -> None:
        firsts = [e for e in _descendants(first, self.deref) if self.info[id(e)].tag == "TH"]
        again = [e for e in _descendants(repeated, self.deref) if self.info[id(e)].tag == "TH"]
        by_element = {id(self.info[id(e)].element): e for e in firsts}
        for th in again:
            original = by_element.get(id(self.info[id(th)].element))
            if original is not None and "ID" in th and "ID" in original:
                self.header_ids[str(th["ID"].string)] = original["ID"]
        self.artifacts.append(repeated)

    def _ordered(self, kids: list[Any]) -> list[Any]:
        """A floated figure moved after the children whose HTML elements come before it."""
        def order(ref: Any) -> int:
            box = self.info.get(id(self.deref(ref)))
            return box.order if box is not None else -1

        figures = [ref for ref in kids if (box := self.info.get(id(self.deref(ref)))) and box.tag == "Figure"]
        if not figures or len(figures) == len(kids):
            return kids
        rest = [ref for ref in kids if not any(ref is f for f in figures)]
        for figure in figures:
            at = next((i for i, ref in enumerate(rest) if order(ref) > order(figure)), len(rest))
            rest.insert(at, figure)
        return rest

    def fix_headers(self, elements: list[pydyf.Dictionary]) -> None:
        for element in elements:
            box = self.info[id(element)]
            attributes = element.get("A")
            if box.tag == "TH" and isinstance(attributes, pydyf.Dictionary):
                column = box.scope in ("col", "colgroup") or (box.in_header and box.scope not in ("row", "rowgroup"))
                attributes["Scope"] = "/Column" if column else "/Row"
            elif box.tag == "TD" and isinstance(attributes, pydyf.Dictionary) and "Headers" in attributes:
                attributes["Headers"] = pydyf.Array([self.header_ids.get(str(h.string), h)
                                                     for h in attributes["Headers"]])


def _retarget_parent_tree(root: pydyf.Dictionary, deref: Any, merger: _Merger) -> None:
    """Point the ParentTree at the elements kept, and take repeated headers out (artifacts)."""
    dropped = {id(e) for group in merger.artifacts for e in [group, *_descendants(group, deref)]}
    marked: set[tuple[str, int]] = set()
    for group in merger.artifacts:
        for element in [group, *_descendants(group, deref)]:
            for kid in element["K"]:
                if isinstance(kid, int):
                    marked.add((str(element["Pg"]), kid))
    nums = deref(root["ParentTree"])["Nums"]
    page_refs: dict[int, str] = {}
    for i in range(0, len(nums), 2):
        refs = nums[i + 1]
        if not isinstance(refs, list):
            continue
        for mcid, ref in enumerate(refs):
            element = deref(ref)
            if not isinstance(element, pydyf.Dictionary):
                continue
            if id(element) in dropped:
                page_refs[int(nums[i])] = str(element["Pg"])
                refs[mcid] = "null"
            elif id(element) in merger.survivor:
                keep = element
                while id(keep) in merger.survivor:
                    keep = merger.survivor[id(keep)]
                refs[mcid] = keep.reference
    for page_ref, page in merger.page_of.items():
        mcids = {mcid for ref, mcid in marked if ref == page_ref}
        if mcids:
            _artifact_content(merger.deref(page["Contents"]), mcids)


def _artifact_content(stream: pydyf.Stream, mcids: set[int]) -> None:
    for index, item in enumerate(stream.stream):
        if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids:
            stream.stream[index - 1] = "/Artifact"
            stream.stream[index] = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Header"})


def _descendants(element: pydyf.Dictionary, deref: Any) -> list[pydyf.Dictionary]:
    out: list[pydyf.Dictionary] = []
    for ref in element.get("K", []):
        kid = deref(ref)
        if isinstance(kid, pydyf.Dictionary) and kid.get("Type") == "/StructElem":
            out.append(kid)
            out += _descendants(kid, deref)
    return out


def _label(element: pydyf.Dictionary, deref: Any, info: dict[int, BoxInfo], page_of: dict[str, pydyf.Dictionary],
           lang: str) -> None:
    """/Lang where an element's language differs from its parent's; figure /BBox in user space."""
    for ref in element["K"]:
        kid = deref(ref)
        if not isinstance(kid, pydyf.Dictionary) or kid.get("Type") != "/StructElem":
            continue
        box = info[id(kid)]
        own = box.lang.lower() or lang
        if own != lang:
            kid["Lang"] = pydyf.String(box.lang)
        if box.bbox is not None and isinstance(kid.get("A"), pydyf.Dictionary):
            page = page_of.get(str(kid.get("Pg")))
            height = float(page["MediaBox"][3]) if page is not None else 0.0
            x1, y1, x2, y2 = box.bbox
            kid["A"]["BBox"] = pydyf.Array([round(v, 3) for v in (x1 * 0.75, height - y2 * 0.75,
                                                                   x2 * 0.75, height - y1 * 0.75)])
        _label(kid, deref, info, page_of, own)

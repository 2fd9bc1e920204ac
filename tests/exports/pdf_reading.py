"""Reading an exported PDF back, as a screen reader or a checker would: the catalogue and the
structure tree (pikepdf), and the text of each tagged element in reading order (PDFium, through
pypdfium2: each structure element's marked-content ids, joined to the text drawn with them).
"""

from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw

HEADINGS = ("H1", "H2", "H3", "H4", "H5", "H6")


@dataclass
class Element:
    """One structure element as read from one page: its tag and the text drawn inside it."""

    tag: str
    text: str
    page: int
    children: list[Element] = field(default_factory=list)

    def walk(self) -> list[Element]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


def _wide(getter: Any, *args: Any) -> str:
    size = getter(*args, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2 + 1))()
    getter(*args, buffer, size)
    return bytes(buffer)[:size].decode("utf-16-le").rstrip("\x00")


def _bytes_text(getter: Any, *args: Any) -> str:
    size = getter(*args, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    getter(*args, buffer, size)
    return buffer.raw[:size].decode("utf-16-le").rstrip("\x00")


class ReadPdf:
    """A PDF opened both ways, for one test to ask what a reader would find in it."""

    def __init__(self, data: bytes) -> None:
        assert data.startswith(b"%PDF-"), data[:40]
        self.data = data
        self.pikepdf = pikepdf.open(io.BytesIO(data))
        self.pdfium = pdfium.PdfDocument(data)
        self.pages: list[list[Element]] = [self._page_tree(i) for i in range(len(self.pdfium))]

    # --- the catalogue -------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return str(self.pikepdf.Root.get("/Lang", ""))

    @property
    def title(self) -> str:
        return str(self.pikepdf.docinfo.get("/Title", ""))

    @property
    def shows_title(self) -> bool:
        prefs = self.pikepdf.Root.get("/ViewerPreferences")
        return bool(prefs is not None and prefs.get("/DisplayDocTitle"))

    @property
    def marked(self) -> bool:
        info = self.pikepdf.Root.get("/MarkInfo")
        return bool(info is not None and info.get("/Marked"))

    def outline(self) -> list[tuple[int, str]]:
        """The bookmarks, depth first, as (level, title)."""
        found: list[tuple[int, str]] = []
        with self.pikepdf.open_outline() as outline:

            def visit(items: Any, level: int) -> None:
                for item in items:
                    found.append((level, str(item.title)))
                    visit(item.children, level + 1)

            visit(outline.root, 1)
        return found

    def fonts(self) -> list[tuple[str, bool]]:
        """Every font the pages use, and whether its program is embedded in the file."""
        seen: dict[str, bool] = {}
        for page in self.pikepdf.pages:
            resources = page.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            for _, font in (fonts or {}).items():
                descriptor = font.get("/FontDescriptor")
                if descriptor is None and "/DescendantFonts" in font:
                    descriptor = font.DescendantFonts[0].get("/FontDescriptor")
                embedded = descriptor is not None and any(
                    key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                seen[str(font.get("/BaseFont"))] = embedded
        return sorted(seen.items())

    def struct_tags(self) -> list[str]:
        """Every structure element's tag, from the whole structure tree (pikepdf)."""
        root = self.pikepdf.Root.get("/StructTreeRoot")
        assert root is not None, "the PDF has no structure tree"
        tags: list[str] = []

        def visit(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for item in node:
                    visit(item)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                tags.append(str(node.S)[1:])
                if "/K" in node:
                    visit(node.K)

        visit(root.get("/K"))
        return tags

    def struct_tables(self) -> list[list[str]]:
        """For each Table element of the whole structure tree, the tags inside it, in order."""
        tables: list[list[str]] = []

        def inside(node: Any, into: list[str]) -> None:
            if isinstance(node, pikepdf.Array):
                for item in node:
                    inside(item, into)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                into.append(str(node.S)[1:])
                if "/K" in node:
                    inside(node.K, into)

        def visit(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for item in node:
                    visit(item)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if str(node.S) == "/Table":
                    found: list[str] = []
                    inside(node.get("/K"), found)
                    tables.append(found)
                elif "/K" in node:
                    visit(node.K)

        visit(self.pikepdf.Root.StructTreeRoot.get("/K"))
        return tables

    def figures(self) -> list[str]:
        """The alternative text of every Figure element ("" when it has none)."""
        root = self.pikepdf.Root.StructTreeRoot
        alts: list[str] = []

        def visit(node: Any) -> None:
            if isinstance(node, pikepdf.Array):
                for item in node:
                    visit(item)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                if str(node.S) == "/Figure":
                    alts.append(str(node.get("/Alt", "")))
                if "/K" in node:
                    visit(node.K)

        visit(root.get("/K"))
        return alts

    # --- the tagged text ---------------------------------------------------------------

    def _page_tree(self, index: int) -> list[Element]:
        page = self.pdfium[index]
        textpage = page.get_textpage()
        drawn: dict[int, list[str]] = {}
        for obj in page.get_objects(max_depth=8):
            if obj.type != raw.FPDF_PAGEOBJ_TEXT:
                continue
            mcid = raw.FPDFPageObj_GetMarkedContentID(obj.raw)
            text = _wide(raw.FPDFTextObj_GetText, obj.raw, textpage.raw)
            drawn.setdefault(mcid, []).append(text)
        tree = raw.FPDF_StructTree_GetForPage(page.raw)
        try:

            def build(element: Any) -> Element:
                tag = _bytes_text(raw.FPDF_StructElement_GetType, element)
                own = [
                    "".join(
                        drawn.get(raw.FPDF_StructElement_GetMarkedContentIdAtIndex(element, i), [])
                    )
                    for i in range(raw.FPDF_StructElement_GetMarkedContentIdCount(element))
                ]
                children = []
                for i in range(raw.FPDF_StructElement_CountChildren(element)):
                    child = raw.FPDF_StructElement_GetChildAtIndex(element, i)
                    if child:
                        children.append(build(child))
                text = " ".join([*own, *(c.text for c in children)])
                return Element(tag=tag, text=text, page=index + 1, children=children)

            return [
                build(raw.FPDF_StructTree_GetChildAtIndex(tree, i))
                for i in range(raw.FPDF_StructTree_CountChildren(tree))
            ]
        finally:
            raw.FPDF_StructTree_Close(tree)

    def elements(self) -> list[Element]:
        """Every tagged element with text, page by page, in the structure tree's order."""
        return [e for page in self.pages for root in page for e in root.walk() if e.text.strip()]

    def headings(self) -> list[tuple[str, str]]:
        """(tag, text) of each heading in reading order; one split over two pages is joined."""
        found: list[tuple[str, str]] = []
        for element in self.elements():
            if element.tag in HEADINGS:
                found.append((element.tag, " ".join(element.text.split())))
        return found

    def tables(self) -> list[Element]:
        return [e for e in self.elements() if e.tag == "Table"]

    def text(self) -> str:
        """All the text on every page, in the order PDFium reads it."""
        return "\n".join(page.get_textpage().get_text_range() for page in self.pdfium)

    def close(self) -> None:
        self.pdfium.close()
        self.pikepdf.close()

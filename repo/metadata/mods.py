"""Reading MODS records: the record element, titles, names, dates and table of contents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from repo.metadata.dates import YearRange, parse_years
from repo.metadata.namespaces import MODS, q

# originInfo dates that say when the resource (not the record) came about, as DC dates.
ORIGIN_DATES = ("dateIssued", "dateCreated", "dateCaptured", "copyrightDate", "dateOther")
PAGE_UNITS = {"page", "pages", "p", "p.", "pp", "pp."}


@dataclass(frozen=True)
class TocEntry:
    """A part of the item (chapter, article, map sheet) and the pages it occupies."""

    title: str
    start_page: int
    end_page: int


def m(local: str) -> str:
    return q(MODS, local)


def text_of(element: etree._Element | None) -> str:
    """All text inside ``element``, whitespace collapsed ("" for None)."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def mods_root(tree: etree._ElementTree | etree._Element) -> etree._Element:
    """The ``mods`` element of a record, or the first of a ``modsCollection``."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    if root.tag == m("mods"):
        return root
    if root.tag == m("modsCollection"):
        first = root.find(m("mods"))
        if first is not None:
            return first
    raise ValueError(f"not a MODS record: root element is {etree.QName(root).text}")


def children(parent: etree._Element, *locals_: str) -> Iterator[etree._Element]:
    """Direct MODS children named one of ``locals_``, in document order."""
    wanted = {m(name) for name in locals_}
    return (child for child in parent if child.tag in wanted)


def format_title(title_info: etree._Element) -> str:
    """``nonSort title: subTitle. partNumber. partName`` as one string."""
    non_sort = text_of(title_info.find(m("nonSort")))
    title = " ".join(t for t in (text_of(e) for e in children(title_info, "title")) if t)
    if non_sort:
        # "L'" is joined to the word it elides; "The" is followed by a space.
        title = f"{non_sort}{title}" if non_sort.endswith(("'", "’")) else f"{non_sort} {title}"
    for sub in children(title_info, "subTitle"):
        title = f"{title}: {text_of(sub)}"
    for part in children(title_info, "partNumber", "partName"):
        title = f"{title}. {text_of(part)}"
    return title.strip()


def format_name(name: etree._Element) -> str:
    """``family, given, termsOfAddress, date`` (or the untyped parts, or displayForm)."""
    parts: dict[str, list[str]] = {}
    for part in children(name, "namePart"):
        parts.setdefault(part.get("type", ""), []).append(text_of(part))
    family, given = parts.get("family", []), parts.get("given", [])
    main = [*parts.get("", [])]
    if family or given:
        main.append(", ".join(x for x in (" ".join(family), " ".join(given)) if x))
    if not main:
        display = text_of(name.find(m("displayForm")))
        return display
    pieces = [", ".join(main), *parts.get("termsOfAddress", []), *parts.get("date", [])]
    return ", ".join(p for p in pieces if p)


# MARC relator codes and terms that make a name the DC creator (LoC: creator; "aut" is a creator too).
CREATOR_CODES = frozenset({"cre", "aut"})
CREATOR_TERMS = frozenset({"creator", "author"})


def is_creator(name: etree._Element) -> bool:
    """Creator when a role says so (term or code), or, without roles, when it is the main entry.

    LoC's MARC-to-MODS marks a 1XX main entry ``usage="primary"`` and gives it no role when the
    MARC field has no relator: that name is the work's creator.
    """
    terms = list(name.iter(m("roleTerm")))
    for term in terms:
        value = text_of(term).lower().rstrip(".,")
        if (term.get("type") == "code" and value in CREATOR_CODES) or value in CREATOR_TERMS:
            return True
    return not terms and name.get("usage") == "primary"


def key_years(tree: etree._ElementTree | etree._Element) -> YearRange | None:
    """The years of the record's key date (or its first readable origin date)."""
    root = mods_root(tree)
    dates = [d for info in children(root, "originInfo") for d in children(info, *ORIGIN_DATES) if text_of(d)]
    ordered = [d for d in dates if d.get("keyDate") == "yes"] + dates
    for date in ordered:
        found = parse_years(text_of(date))
        if found is None:
            continue
        if date.get("point") == "start":
            end = _end_point(date)
            if end is not None and end.end >= found.start:
                return YearRange(found.start, end.end)
        return found
    return None


def _end_point(start: etree._Element) -> YearRange | None:
    parent = start.getparent()
    if parent is None:
        return None
    for sibling in parent:
        if sibling.tag == start.tag and sibling.get("point") == "end":
            return parse_years(text_of(sibling))
    return None


def table_of_contents(tree: etree._ElementTree | etree._Element) -> tuple[TocEntry, ...]:
    """Constituent related items with page ranges, in record order.

    Pages come from ``part/extent[@unit=page(s)]`` ``start``/``end`` or from
    ``part/detail[@type=page]/number``. A missing end is taken as the page before the next
    entry's start, else as the start page itself.
    """
    found: list[tuple[str, int, int | None]] = []
    for item in children(mods_root(tree), "relatedItem"):
        if item.get("type") != "constituent":
            continue
        title_info = item.find(m("titleInfo"))
        title = format_title(title_info) if title_info is not None else ""
        pages = _pages(item)
        if title and pages is not None:
            found.append((title, pages[0], pages[1]))
    entries: list[TocEntry] = []
    for index, (title, start, end) in enumerate(found):
        if end is None:
            following = found[index + 1][1] if index + 1 < len(found) else None
            end = following - 1 if following is not None and following > start else start
        entries.append(TocEntry(title, start, max(start, end)))
    return tuple(entries)


def _pages(item: etree._Element) -> tuple[int, int | None] | None:
    for part in children(item, "part"):
        for extent in children(part, "extent"):
            if extent.get("unit", "").strip().lower() in PAGE_UNITS:
                start = _int(extent.find(m("start")))
                if start is not None:
                    return start, _int(extent.find(m("end")))
        numbers = [
            n
            for detail in children(part, "detail")
            if detail.get("type", "").strip().lower() in PAGE_UNITS
            for n in (_int(e) for e in children(detail, "number"))
            if n is not None
        ]
        if numbers:
            return min(numbers), (max(numbers) if len(numbers) > 1 else None)
    return None


def _int(element: etree._Element | None) -> int | None:
    value = text_of(element)
    return int(value) if value.isascii() and value.isdigit() else None

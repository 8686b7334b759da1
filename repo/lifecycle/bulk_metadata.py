"""The bulk metadata round trip: a collection's Dublin Core as CSV, one row per item; the edited
CSV read back as a plan (per item, each element that would change, old and new, and every
problem, by row and column) before anything is written; the plan applied item by item, each item
one new version through the edit path (``edit_fields``), so each is atomic on its own.

The CSV: ``identifier`` (the item's), then the 15 DC elements, repeated values joined with ``|``
(DC's own identifier as ``dc.identifier``; ``dc.``/``dc:`` prefixes are accepted on any element),
then ``version`` (the version exported: an item edited since is refused, not overwritten). An import
may leave out any DC column (it is not changed) and ``version`` (the catalog's version is the
base). An unknown column stops the whole import; a problem in a row stops only its item.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from repo.catalog import Catalog, Item
from repo.errors import MunimentError, NotFoundError, Problem
from repo.identifiers import object_id
from repo.lifecycle.stored_bag import read_stored_bag
from repo.metadata.dates import parse_years
from repo.metadata.dublin_core import ELEMENTS, clean_value, element_name, has_forbidden_characters
from repo.metadata.errors import MetadataError
from repo.metadata.field_edit import apply_dc
from repo.metadata.loader import VALUE_SEPARATOR
from repo.metadata.rights import rights_problem
from repo.preservation import ObjectStore

IDENTIFIER = "identifier"  # the item's: the column that names each row's item
VERSION = "version"
COLUMNS = (IDENTIFIER, *(f"dc.{e}" if e == IDENTIFIER else e for e in ELEMENTS), VERSION)
# Internal names of the two columns that are not DC elements (DC has an identifier too).
_ITEM, _VERSION = "@item", "@version"
_PAGE = 500


@dataclass(frozen=True)
class FieldChange:
    element: str
    old: tuple[str, ...]
    new: tuple[str, ...]


@dataclass
class ItemChange:
    """One row: the item, the version it is based on, its DC after the import, what changes."""

    row: int
    item_id: str
    based_on: int | None = None
    dc: dict[str, tuple[str, ...]] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class ImportPlan:
    filename: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)  # the file's own: nothing is applied
    items: list[ItemChange] = field(default_factory=list)  # rows with changes or problems

    @property
    def applicable(self) -> list[ItemChange]:
        return [] if self.problems else [i for i in self.items if i.changes and not i.problems]

    @property
    def refused(self) -> list[ItemChange]:
        return [i for i in self.items if i.problems]

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for i in self.refused for p in i.problems)]


@dataclass
class Exported:
    rows: int = 0
    ambiguous: list[str] = field(default_factory=list)  # items with a value holding "|": two on import


def export_csv(catalog: Catalog, collection: str, out: TextIO) -> Exported:
    """Write the collection's items (purged ones left out) to ``out``."""
    if catalog.get_collection(collection) is None:
        raise NotFoundError(f"no collection {collection!r}")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    done = Exported()
    for item in _items(catalog, collection):
        meta = catalog.metadata(item.id)
        dc = meta.dc if meta else {}
        if any(VALUE_SEPARATOR in v for values in dc.values() for v in values):
            done.ambiguous.append(item.id)
        writer.writerow([item.id, *(VALUE_SEPARATOR.join(dc.get(e, ())) for e in ELEMENTS), item.version])
        done.rows += 1
    return done


def _items(catalog: Catalog, collection: str) -> Iterator[Item]:
    offset = 0
    while batch := catalog.list_items(collection, limit=_PAGE, offset=offset):
        yield from (item for item in batch if item.status != "purged")
        offset += len(batch)


def plan_import(catalog: Catalog, store: ObjectStore, data: bytes, filename: str) -> ImportPlan:
    """What importing ``data`` would change, and every problem; nothing is written."""
    plan = ImportPlan(filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetadataError.single(filename, f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        # Rows numbered as a spreadsheet shows them: the header is row 1, a blank row counts.
        rows = [(number, row) for number, row in enumerate(reader, start=1) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise MetadataError.single(filename, f"not valid CSV: {exc}", reader.line_num) from None
    if not rows:
        raise MetadataError.single(filename, "the CSV file is empty")
    header_row, header = rows[0]
    columns = _columns(header, header_row, filename, plan.problems)
    if _ITEM not in columns.values():
        plan.problems.append(Problem(filename, f"row {header_row}: no {IDENTIFIER!r} column: it names each row's item"))
        return plan
    seen: dict[str, int] = {}
    for number, row in rows[1:]:
        plan.rows += 1
        change = _plan_row(catalog, store, filename, number, dict(_cells(columns, row)), seen)
        if change.changes or change.problems:
            plan.items.append(change)
    return plan


def _columns(header: Sequence[str], row: int, filename: str, problems: list[Problem]) -> dict[int, str]:
    """Column index -> identifier, version or DC element; each unknown or repeated one a problem."""
    columns: dict[int, str] = {}
    for index, label in enumerate(header):
        key = label.strip().lower()
        if not key:
            continue
        name = {IDENTIFIER: _ITEM, VERSION: _VERSION}.get(key) or element_name(label)
        if name is None:
            problems.append(
                Problem(
                    filename,
                    f"row {row}, column {index + 1} {label.strip()!r}: unknown column "
                    f"(expected {IDENTIFIER}, {VERSION} or a Dublin Core element: {', '.join(ELEMENTS)})",
                )
            )
        elif name in columns.values():
            problems.append(
                Problem(filename, f"row {row}, column {index + 1} {label.strip()!r}: a second {key} column")
            )
        else:
            columns[index] = name
    return columns


def _cells(columns: Mapping[int, str], row: Sequence[str]) -> Iterator[tuple[str, str]]:
    for index, name in columns.items():
        yield name, row[index] if index < len(row) else ""


def _plan_row(
    catalog: Catalog, store: ObjectStore, filename: str, number: int, cells: dict[str, str], seen: dict[str, int]
) -> ItemChange:
    item_id = cells.pop(_ITEM).strip()
    change = ItemChange(number, item_id)

    def problem(column: str, reason: str) -> None:
        change.problems.append(Problem(filename, f"row {number}, column {column}: {reason}"))

    if not item_id:
        problem(IDENTIFIER, "empty: which item is this row?")
        return change
    if item_id in seen:
        problem(IDENTIFIER, f"item {item_id} is also in row {seen[item_id]}; give each item one row")
        return change
    seen[item_id] = number
    item = catalog.get_item(item_id)
    meta = catalog.metadata(item_id) if item is not None else None
    if item is None or meta is None or item.status == "purged":
        problem(IDENTIFIER, f"unknown item {item_id!r}" + (" (purged)" if item is not None else ""))
        return change
    exported = cells.pop(_VERSION, "").strip()
    change.based_on = item.version
    change.dc = {e: tuple(meta.dc.get(e, ())) for e in ELEMENTS}
    for name, cell in cells.items():
        if has_forbidden_characters(cell):
            problem(name, "the value has control characters XML cannot hold")
            continue
        # A cell as exported is no change, even when a value holds the separator itself.
        if clean_value(cell) == VALUE_SEPARATOR.join(change.dc[name]):
            continue
        values = tuple(v for v in (clean_value(part) for part in cell.split(VALUE_SEPARATOR)) if v)
        if values == change.dc[name]:
            continue
        for reason in _value_problems(name, values):
            problem(name, reason)
        change.changes.append(FieldChange(name, change.dc[name], values))
        change.dc[name] = values
    # A row that changes an item edited since the export would undo that edit.
    if change.changes and exported and (not exported.isdigit() or int(exported) != item.version):
        problem(VERSION, f"item {item_id} is at version {item.version}, not {exported!r}: export it again")
    if change.changes and not change.problems:
        _check_source(store, filename, change)
    return change


def _value_problems(name: str, values: tuple[str, ...]) -> Iterator[str]:
    if name == "title" and not values:
        yield "empty: every record needs a title"
    for value in values:
        if name == "date" and parse_years(value) is None:
            yield f"bad date {value!r}: not a date a year can be read from (1893, 1893-05-14, 1890/1899, c1999)"
        if name == "rights" and (reason := rights_problem(value)) is not None:
            yield reason


def _check_source(store: ObjectStore, filename: str, change: ItemChange) -> None:
    """An edit its MARC or MODS record cannot take is refused now, not when the job runs."""
    try:
        apply_dc(read_stored_bag(store, object_id(change.item_id)).record(), change.dc, filename)
    except MetadataError as exc:
        for p in exc.problems:
            column, _, reason = p.reason.partition(": ")
            change.problems.append(Problem(filename, f"row {change.row}, column {column}: {reason}"))


def describe(plan: ImportPlan) -> list[str]:
    """The plan in lines for people: each change (old -> new), then each problem."""
    lines = []
    for change in plan.items:
        if change.problems:
            continue
        for c in change.changes:
            lines.append(f"row {change.row} {change.item_id}: {c.element}: {_shown(c.old)} -> {_shown(c.new)}")
    lines += [str(p) for p in plan.all_problems]
    return lines


def _shown(values: tuple[str, ...]) -> str:
    return repr(VALUE_SEPARATOR.join(values)) if values else "(none)"


def require_applicable(plan: ImportPlan) -> list[ItemChange]:
    """The items to edit; a file-level problem stops the whole import."""
    if plan.problems:
        raise MetadataError(plan.problems)
    if not plan.applicable and not plan.refused:
        raise MunimentError(f"{plan.filename}: nothing to change ({plan.rows} rows match their items)")
    return plan.applicable

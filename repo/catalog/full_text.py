"""The search index's full-text part, one implementation per catalog database: SQLite FTS5 (the
``search_fts`` table, its rows sharing the rowids of ``search_docs``) and PostgreSQL tsvector (the
``tsv`` column of ``search_docs``, with its GIN index). Each writes the shared ``search_docs`` row
with its own full-text part, and writes a query's match into SQL over ``search_docs d``.

Both index the same fields with the same weights (title first, then names and subjects, then the
description, then the whole MODS text) and both match every query word, as a prefix when long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from repo.catalog.db import Database
from repo.catalog.index_words import PREFIX_MIN, fold
from repo.catalog.schema import OPENS
from repo.catalog.search_documents import SearchDocument

# Columns the shared search_docs table has on both databases.
DOC_COLUMNS = (
    "item_id",
    "collection",
    "title",
    "sort_title",
    "creators",
    "subjects",
    "description",
    "type",
    "language",
    "date",
    "date_start",
    "date_end",
)


def doc_values(doc: SearchDocument) -> tuple[Any, ...]:
    return (
        doc.item_id,
        doc.collection,
        doc.title,
        doc.sort_title,
        doc.creators,
        doc.subject_text,
        doc.description,
        doc.type,
        doc.language,
        doc.date,
        doc.date_start,
        doc.date_end,
    )


@dataclass(frozen=True)
class Match:
    """A full-text match written into a query over ``search_docs d``: ``join`` (to add after it),
    ``condition`` (that ``d`` holds every word) and ``relevance`` (lower first), each with its parameters."""

    join: str
    condition: str
    condition_params: list[Any]
    relevance: str
    relevance_params: list[Any]


class FullText(Protocol):
    def write(self, db: Database, doc: SearchDocument, *, counted: bool = True) -> None:
        """Insert ``doc`` (its search_docs row already removed) into the shared and full-text tables;
        ``counted``: in the facet counts at once, as its item's visibility says (see ``_insert_doc``)."""

    def write_many(self, db: Database, docs: Sequence[SearchDocument], *, counted: bool) -> None:
        """Insert ``docs`` (their rows already removed), a statement a table for them all; counted
        as ``write``, or not (for one count of a whole rebuild afterwards, ``count_uncounted``)."""

    def delete(self, db: Database, item_id: str) -> None: ...

    def delete_many(self, db: Database, item_ids: Sequence[str]) -> None:
        """``delete`` of each of ``item_ids``, before their search_docs rows go."""

    def clear(self, db: Database) -> None:
        """Empty the full-text structures (search_docs is emptied by the caller)."""

    def lock(self, db: Database) -> None:
        """Inside a transaction: wait for, then hold until it ends, the index's one writer lock."""

    def match(self, words: Sequence[str]) -> Match:
        """Items holding every word, as parts of a query over ``search_docs d``."""


# Whether the item ``{id}`` is public now or when (repo.catalog.schema.OPENS), for a row's ``opens``.
_OPENS_OF = f"(SELECT {OPENS.format(t='i')} FROM items i WHERE i.id = {{id}})"


def _insert_doc(
    db: Database,
    doc: SearchDocument,
    counted: bool,
    extra_columns: str = "",
    extra_sql: str = "",
    extra_params: Sequence[Any] = (),
) -> None:
    # Uncounted rows (opens NULL) are for a rebuild that counts its rows afterwards in one
    # statement (repo.search.indexer.reindex_all).
    opens = _OPENS_OF.format(id="?") if counted else "NULL"
    columns = ", ".join(DOC_COLUMNS) + ", opens" + extra_columns
    placeholders = ", ".join("?" for _ in DOC_COLUMNS) + f", {opens}" + extra_sql
    params = (*doc_values(doc), *([doc.item_id] if counted else []), *extra_params)
    db.execute(f"INSERT INTO search_docs ({columns}) VALUES ({placeholders})", params)


def _insert_docs(db: Database, docs: Sequence[SearchDocument], counted: bool) -> None:
    # Counted at once (a batch of the queue): SQLite's triggers count a row at a time either way,
    # and an UPDATE of every row afterwards wrote each twice (measured: 100,000 items ~10% faster).
    opens = _OPENS_OF.format(id="?") if counted else "NULL"
    placeholders = ", ".join("?" for _ in DOC_COLUMNS) + f", {opens}"
    db.executemany(
        f"INSERT INTO search_docs ({', '.join(DOC_COLUMNS)}, opens) VALUES ({placeholders})",
        [(*doc_values(doc), *([doc.item_id] if counted else [])) for doc in docs],
    )


class SqliteFullText:
    # bm25 weight of each search_fts column: item_id (not indexed), title, creators, subjects,
    # description, full_text.
    _WEIGHTS = "0.0, 10.0, 4.0, 4.0, 2.0, 1.0"

    def write(self, db: Database, doc: SearchDocument, *, counted: bool = True) -> None:
        _insert_doc(db, doc, counted)
        # The FTS row shares the rowid of the item's search_docs row, so deleting it is a
        # lookup by key instead of a scan of the UNINDEXED item_id column. A row left by a
        # catalog delete (search_docs cascades, FTS cannot) may hold that rowid: drop it first.
        self.delete(db, doc.item_id)
        db.execute(
            "INSERT INTO search_fts (rowid, item_id, title, creators, subjects, description, full_text)"
            " SELECT rowid, ?, ?, ?, ?, ?, ? FROM search_docs WHERE item_id = ?",
            (doc.item_id, doc.title, doc.creators, doc.subject_text, doc.description, doc.full_text, doc.item_id),
        )

    def write_many(self, db: Database, docs: Sequence[SearchDocument], *, counted: bool) -> None:
        if not docs:
            return
        # As in ``write``, a row a catalog delete left may hold a rowid the new rows take: those
        # are above the highest search_docs rowid (SQLite gives the next rowid after it), so one
        # range delete drops them all, where a delete by each new rowid cost a statement a row.
        top = db.query_one("SELECT COALESCE(MAX(rowid), 0) AS n FROM search_docs")
        db.execute("DELETE FROM search_fts WHERE rowid > ?", (top["n"] if top else 0,))
        _insert_docs(db, docs, counted)
        rowids = dict(
            db.query_values(
                f"SELECT item_id, rowid FROM search_docs WHERE item_id IN ({', '.join('?' for _ in docs)})",
                [doc.item_id for doc in docs],
            )
        )
        db.executemany(
            "INSERT INTO search_fts (rowid, item_id, title, creators, subjects, description, full_text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (rowids[d.item_id], d.item_id, d.title, d.creators, d.subject_text, d.description, d.full_text)
                for d in docs
            ],
        )

    def delete_many(self, db: Database, item_ids: Sequence[str]) -> None:
        if not item_ids:
            return
        rowids = db.query_values(
            f"SELECT rowid FROM search_docs WHERE item_id IN ({', '.join('?' for _ in item_ids)})", list(item_ids)
        )
        db.executemany("DELETE FROM search_fts WHERE rowid = ?", rowids)

    def delete(self, db: Database, item_id: str) -> None:
        # The rowid first, then a delete by it: FTS5 reads ``rowid IN (subquery)`` by scanning its table.
        row = db.query_one("SELECT rowid FROM search_docs WHERE item_id = ?", (item_id,))
        if row is not None:
            db.execute("DELETE FROM search_fts WHERE rowid = ?", (row["rowid"],))

    def clear(self, db: Database) -> None:
        db.execute("DELETE FROM search_fts")

    def lock(self, db: Database) -> None:
        """The transaction's BEGIN IMMEDIATE already holds SQLite's one write lock."""

    def match(self, words: Sequence[str]) -> Match:
        # The FTS row shares the search_docs row's rowid (see write): the join is by key.
        return Match(
            "JOIN search_fts ON search_fts.rowid = d.rowid",
            "search_fts MATCH ?",
            [self._query(words)],
            f"bm25(search_fts, {self._WEIGHTS})",
            [],
        )

    @staticmethod
    def _query(words: Sequence[str]) -> str:
        # Each word quoted, so FTS5 never reads one as an operator (AND, NEAR, column:).
        return " ".join(f'"{w}"*' if len(w) >= PREFIX_MIN else f'"{w}"' for w in words)


_ADVISORY_LOCK = 0x6D756E6973656172  # "munisear": this index's key among advisory locks


class PostgresFullText:
    # 'simple': no stemming and no stop words, as with FTS5's unicode61, in any language.
    _VECTOR = (
        "setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')"
        " || setweight(to_tsvector('simple', ?), 'C') || setweight(to_tsvector('simple', ?), 'D')"
    )

    def write(self, db: Database, doc: SearchDocument, *, counted: bool = True) -> None:
        # Folded in Python: PostgreSQL's own unaccent is an extension that may not be installed.
        names_and_subjects = fold(doc.creators + "\n" + doc.subject_text)
        _insert_doc(
            db,
            doc,
            counted,
            ", tsv",
            ", " + self._VECTOR,
            (fold(doc.title), names_and_subjects, fold(doc.description), fold(doc.full_text)),
        )

    def write_many(self, db: Database, docs: Sequence[SearchDocument], *, counted: bool) -> None:
        # One statement for them all, its rows from arrays a column (unnest): a row a statement
        # (executemany) cost a round of parse, plan and trigger per row, more than the tsvector.
        if not docs:
            return
        rows = [(*doc_values(doc), *self._vector_values(doc)) for doc in docs]
        columns = [list(column) for column in zip(*rows, strict=True)]
        arrays = ", ".join(f"?::{kind}[]" for kind in self._ARRAY_TYPES)
        names = ", ".join([*DOC_COLUMNS, "a", "b", "c", "d"])
        vector = self._VECTOR.replace("?", "u.{}").format("a", "b", "c", "d")
        # Counted at once (a batch of the queue): the statement's trigger merges its rows into the
        # facet counts in one go, where an UPDATE of them all afterwards wrote each row twice.
        opens = _OPENS_OF.format(id="u.item_id") if counted else "NULL"
        db.execute(
            f"INSERT INTO search_docs ({', '.join(DOC_COLUMNS)}, opens, tsv)"
            f" SELECT {', '.join(f'u.{c}' for c in DOC_COLUMNS)}, {opens}, {vector}"
            f" FROM unnest({arrays}) AS u({names})",
            columns,
        )

    # The type of each column of ``write_many``'s arrays: DOC_COLUMNS, then the four weighted texts.
    _ARRAY_TYPES = ("text",) * 10 + ("integer", "integer") + ("text",) * 4

    @staticmethod
    def _vector_values(doc: SearchDocument) -> tuple[str, str, str, str]:
        return (
            fold(doc.title),
            fold(doc.creators + "\n" + doc.subject_text),
            fold(doc.description),
            fold(doc.full_text),
        )

    def delete(self, db: Database, item_id: str) -> None:
        """The tsvector lives in the search_docs row, removed with it."""

    def delete_many(self, db: Database, item_ids: Sequence[str]) -> None:
        """The tsvectors live in the search_docs rows, removed with them."""

    def clear(self, db: Database) -> None:
        """Nothing beyond search_docs."""

    def lock(self, db: Database) -> None:
        # Workers catching the index up together would otherwise index the same items at once.
        db.query_one("SELECT pg_advisory_xact_lock(?)", (_ADVISORY_LOCK,))

    def match(self, words: Sequence[str]) -> Match:
        query = self._query(words)
        return Match(
            "",
            "d.tsv @@ to_tsquery('simple', ?)",
            [query],
            "-ts_rank_cd(d.tsv, to_tsquery('simple', ?))::float8",
            [query],
        )

    @staticmethod
    def _query(words: Sequence[str]) -> str:
        # Words are \\w+ only (see text.terms), so they cannot carry tsquery operators.
        return " & ".join(f"{w}:*" if len(w) >= PREFIX_MIN else w for w in words)


def full_text_for(db: Database) -> FullText:
    return PostgresFullText() if db.dialect == "postgresql" else SqliteFullText()

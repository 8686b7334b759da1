"""The catalog's rows of page text: each page's text and ALTO (``page_text``, with its full-text
index: ``page_fts`` on SQLite, a tsvector column on PostgreSQL), its words with their boxes
(``page_words``) and the item's counts of words and of neighbouring pairs (``page_terms``,
``page_pairs``). The SQL behind ``repo.search.page_text``, which decides what a word is indexed
as and what is counted; queries over the words are in ``repo.catalog.page_word_rows``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from repo.catalog.db import Database, Row


@dataclass(frozen=True)
class PageTextRow:
    """A page's row of ``page_text`` to insert (``alto`` as text)."""

    item_id: str
    seq: int
    source: str
    software: str
    languages: str
    width: int
    height: int
    text: str
    alto: str
    version: int | None

    def values(self) -> tuple[object, ...]:
        return (
            self.item_id,
            self.seq,
            self.source,
            self.software,
            self.languages,
            self.width,
            self.height,
            self.text,
            self.alto,
            self.version,
        )


WordRow = tuple[str, int, int, str, str, int, int, int, int, int]  # item_id, seq, n, word, text, line, x, y, w, h

_COLUMNS = "item_id, seq, source, software, languages, width, height, text, alto, version, created"


# -- writing --------------------------------------------------------------------------------


def insert_pages(db: Database, pages: Sequence[PageTextRow], created: str, tsv_text: Callable[[str], str]) -> None:
    """The pages' rows and their full-text index; ``tsv_text`` is what PostgreSQL's tsvector is
    made of (SQLite's FTS5 folds the text itself)."""
    values = [p.values() for p in pages]
    if db.dialect == "postgresql":
        db.executemany(
            f"INSERT INTO page_text ({_COLUMNS}, tsv) VALUES ({', '.join('?' * 11)}, to_tsvector('simple', ?))",
            [(*v, created, tsv_text(p.text)) for v, p in zip(values, pages, strict=True)],
        )
    else:
        db.executemany(
            f"INSERT INTO page_text ({_COLUMNS}) VALUES ({', '.join('?' * 11)})", [(*v, created) for v in values]
        )
        db.executemany(
            "INSERT INTO page_fts (rowid, text) SELECT rowid, ? FROM page_text WHERE item_id = ? AND seq = ?",
            [(p.text, p.item_id, p.seq) for p in pages],
        )


def insert_words(db: Database, rows: Sequence[WordRow]) -> None:
    db.executemany(
        "INSERT INTO page_words (item_id, seq, n, word, text, line, x, y, w, h) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def add_term_counts(db: Database, counts: Sequence[tuple[str, str, int]]) -> None:
    """(item, word, occurrences) added to the item's counts."""
    db.executemany(
        "INSERT INTO page_terms (item_id, word, n) VALUES (?, ?, ?)"
        " ON CONFLICT (item_id, word) DO UPDATE SET n = page_terms.n + excluded.n",
        counts,
    )


def add_pair_counts(db: Database, counts: Sequence[tuple[str, str, str, int]]) -> None:
    """(item, word, next word, occurrences) added to the item's counts."""
    db.executemany(
        "INSERT INTO page_pairs (item_id, word, next, n) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (item_id, word, next) DO UPDATE SET n = page_pairs.n + excluded.n",
        counts,
    )


def delete_page(db: Database, item_id: str, seq: int) -> None:
    """The page's text, index entry and words, its words taken off the item's counts."""
    if db.dialect == "sqlite":  # FTS rows do not cascade
        db.execute(
            "DELETE FROM page_fts WHERE rowid IN (SELECT rowid FROM page_text WHERE item_id = ? AND seq = ?)",
            (item_id, seq),
        )
    old = db.query(
        "SELECT word, COUNT(*) AS n FROM page_words WHERE item_id = ? AND seq = ? GROUP BY word", (item_id, seq)
    )
    if old:  # the page's words no longer count towards the item's terms
        db.executemany(
            "UPDATE page_terms SET n = n - ? WHERE item_id = ? AND word = ?",
            [(row["n"], item_id, row["word"]) for row in old],
        )
        db.executemany(
            "DELETE FROM page_terms WHERE item_id = ? AND word = ? AND n <= 0", [(item_id, row["word"]) for row in old]
        )
        old_pairs = db.query(
            "SELECT a.word, b.word AS next, COUNT(*) AS n FROM page_words a JOIN page_words b ON b.item_id = a.item_id"
            " AND b.seq = a.seq AND b.n = a.n + 1 WHERE a.item_id = ? AND a.seq = ? GROUP BY a.word, b.word",
            (item_id, seq),
        )
        db.executemany(
            "UPDATE page_pairs SET n = n - ? WHERE item_id = ? AND word = ? AND next = ?",
            [(row["n"], item_id, row["word"], row["next"]) for row in old_pairs],
        )
        db.executemany(
            "DELETE FROM page_pairs WHERE item_id = ? AND word = ? AND next = ? AND n <= 0",
            [(item_id, row["word"], row["next"]) for row in old_pairs],
        )
    db.execute("DELETE FROM page_words WHERE item_id = ? AND seq = ?", (item_id, seq))
    db.execute("DELETE FROM page_text WHERE item_id = ? AND seq = ?", (item_id, seq))


def set_version(db: Database, item_id: str, seqs: Sequence[int], version: int) -> None:
    """These pages' text is held by the object's ``version``."""
    db.executemany(
        "UPDATE page_text SET version = ? WHERE item_id = ? AND seq = ?", [(version, item_id, seq) for seq in seqs]
    )


# -- reading --------------------------------------------------------------------------------


def page_rows(db: Database, item_id: str) -> list[Row]:
    """Each page's row without its ALTO, in page order."""
    return db.query(
        "SELECT item_id, seq, source, software, languages, width, height, text, version FROM page_text"
        " WHERE item_id = ? ORDER BY seq",
        (item_id,),
    )


def stored_texts(db: Database, item_id: str, first: int, last: int) -> dict[int, str]:
    """The plain text of the item's pages ``first`` to ``last`` that a version holds."""
    rows = db.query(
        "SELECT seq, text FROM page_text WHERE item_id = ? AND seq >= ? AND seq <= ? AND version IS NOT NULL",
        (item_id, first, last),
    )
    return {row["seq"]: str(row["text"]) for row in rows}


def has_stored_text(db: Database, item_id: str) -> bool:
    return (
        db.query_one("SELECT 1 AS y FROM page_text WHERE item_id = ? AND version IS NOT NULL LIMIT 1", (item_id,))
        is not None
    )


def stored_seqs(db: Database, item_id: str) -> set[int]:
    """Pages whose text a version of the item holds."""
    rows = db.query("SELECT seq FROM page_text WHERE item_id = ? AND version IS NOT NULL", (item_id,))
    return {row["seq"] for row in rows}


def pending_rows(db: Database, item_id: str) -> list[Row]:
    """Whole rows (with the ALTO) of the pages no version holds yet, in page order."""
    return db.query("SELECT * FROM page_text WHERE item_id = ? AND version IS NULL ORDER BY seq", (item_id,))


def page_plain_text(db: Database, item_id: str, seq: int) -> str | None:
    row = db.query_one("SELECT text FROM page_text WHERE item_id = ? AND seq = ?", (item_id, seq))
    return str(row["text"]) if row else None


def page_alto(db: Database, item_id: str, seq: int) -> str | None:
    row = db.query_one("SELECT alto FROM page_text WHERE item_id = ? AND seq = ?", (item_id, seq))
    return str(row["alto"]) if row else None


def page_word_rows(db: Database, item_id: str, seq: int) -> list[Row]:
    """The page's words (line, text, x, y, w, h) in reading order."""
    return db.query(
        "SELECT line, text, x, y, w, h FROM page_words WHERE item_id = ? AND seq = ? ORDER BY n", (item_id, seq)
    )

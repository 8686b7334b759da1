"""What a search of page text reads from ``page_words``, ``page_terms`` and ``page_pairs``: a
phrase's places and the words around them (IIIF Content Search), windows of words and the places
of words (the site search's snippets), and the words an item's pages begin with a prefix
(autocomplete). ``repo.search.page_text`` and ``repo.search.snippets`` decide what the query's
words are, which phrase word to start from and how hits become passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from repo.catalog.db import Database, Row

PlaceKey = tuple[int, int]  # a page and a word's position on it


@dataclass(frozen=True)
class PhrasePlaces:
    """A phrase of folded ``words`` on one item, found from the word at ``anchor`` (the rarest:
    a common word's occurrences would each be joined)."""

    item_id: str
    words: Sequence[str]
    anchor: int

    def starts(self, start: PlaceKey | None, descending: bool = False) -> tuple[str, list[Any]]:
        """The query of the phrase's places (page, first word) in page order from ``start`` on
        (descending: before it), keyed on the index of the anchor word, and its parameters."""
        joins = " ".join(
            f"JOIN page_words w{k} ON w{k}.item_id = wa.item_id AND w{k}.seq = wa.seq"
            f" AND w{k}.n = wa.n + {k - self.anchor} AND w{k}.word = ?"
            for k in range(len(self.words))
            if k != self.anchor
        )
        # The joins' parameters come before the WHERE's.
        params: list[Any] = [*(w for k, w in enumerate(self.words) if k != self.anchor)]
        where = "wa.item_id = ? AND wa.word = ?"
        params += [self.item_id, self.words[self.anchor]]
        if start is not None:
            where += f" AND (wa.seq, wa.n) {'<' if descending else '>='} (?, ?)"
            params += [start[0], start[1] + self.anchor]
        order = "wa.seq DESC, wa.n DESC" if descending else "wa.seq, wa.n"
        return (
            f"SELECT wa.seq AS seq, wa.n - {self.anchor} AS n FROM page_words wa {joins}"
            f" WHERE {where} ORDER BY {order}",
            params,
        )


def term_counts(db: Database, item_id: str, words: Sequence[str]) -> dict[str, int]:
    """How often each of ``words`` occurs on the item's pages (absent: never)."""
    return {
        row["word"]: int(row["n"])
        for row in db.query(
            f"SELECT word, n FROM page_terms WHERE item_id = ? AND word IN ({', '.join('?' * len(words))})",
            [item_id, *words],
        )
    }


def pair_counts(db: Database, item_id: str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """How often each pair's first word is followed by its second on the item's pages (absent: never)."""
    if not pairs:
        return {}
    rows = db.query(
        "SELECT word, next, n FROM page_pairs WHERE item_id = ? AND ("
        + " OR ".join("(word = ? AND next = ?)" for _ in pairs)
        + ")",
        [item_id, *(w for pair in pairs for w in pair)],
    )
    return {(row["word"], row["next"]): int(row["n"]) for row in rows}


def count_places(db: Database, phrase: PhrasePlaces) -> int:
    sql, params = phrase.starts(None)
    count = db.query_one(f"SELECT COUNT(*) AS n FROM ({sql}) AS places", params)
    return int(count["n"]) if count else 0


def place_back(db: Database, phrase: PhrasePlaces, before: PlaceKey | None, back: int) -> PlaceKey | None:
    """The place ``back`` places before ``before`` (None: after the last place)."""
    sql, params = phrase.starts(before, descending=True)
    row = db.query_one(f"{sql} LIMIT 1 OFFSET ?", [*params, back - 1])
    return (int(row["seq"]), int(row["n"])) if row else None


_NO_LIMIT = 2**62  # SQLite's OFFSET needs a LIMIT


def place_windows(
    db: Database, phrase: PhrasePlaces, start: PlaceKey | None, limit: int | None, offset: int, context: int
) -> list[tuple[Any, ...]]:
    """The phrase's places from ``start`` (``limit`` of them after ``offset``) with the words of
    each one's window, ``context`` words either side, in one query by the primary key: tuples of
    (place's page, place's first word, word's position, text, x, y, w, h), not in order."""
    sql, params = phrase.starts(start)
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [limit if limit is not None else _NO_LIMIT, offset]
    return db.query_values(
        f"WITH places AS ({sql}) SELECT places.seq, places.n, p.n, p.text, p.x, p.y, p.w, p.h FROM places"
        " JOIN page_words p ON p.item_id = ? AND p.seq = places.seq AND p.n >= places.n - ? AND p.n < places.n + ?",
        [*params, phrase.item_id, context, len(phrase.words) + context],
    )


def words_around(
    db: Database, spans: Sequence[tuple[str, int, int, int]], context: int
) -> dict[tuple[str, int], dict[int, Row]]:
    """The words of each span (item, page, first word, length) and ``context`` words either side,
    by item and page, then position: one query for a page of hits (a window each, on the primary key)."""
    found: dict[tuple[str, int], dict[int, Row]] = {}
    for first in range(0, len(spans), _WINDOWS_A_QUERY):
        chunk = spans[first : first + _WINDOWS_A_QUERY]
        # The item in every term: SQLite then searches the primary key once a window (MULTI-INDEX OR).
        windows = " OR ".join("(item_id = ? AND seq = ? AND n >= ? AND n < ?)" for _ in chunk)
        params: list[Any] = []
        for item_id, seq, n, count in chunk:
            params += [item_id, seq, n - context, n + count + context]
        rows = db.query(f"SELECT item_id, seq, n, word, text, x, y, w, h FROM page_words WHERE {windows}", params)
        for row in rows:
            found.setdefault((row["item_id"], row["seq"]), {})[row["n"]] = row
    return found


_WINDOWS_A_QUERY = 100
_ITEMS_A_QUERY = 50  # parts of one UNION ALL (SQLite allows 500)


def word_places(
    db: Database, item_ids: Sequence[str], words: Sequence[tuple[str, bool]], limit: int
) -> dict[str, list[Row]]:
    """Each item's first ``limit`` places (seq, n) in page order of any of ``words`` (folded word,
    also as the beginning of a longer word): one query for a page of hits, each item's part read
    on its own index range (``page_words_word``) and cut at ``limit``, however common the words."""
    conditions = " OR ".join("(word >= ? AND word < ?)" if prefix else "word = ?" for _, prefix in words)
    word_params: list[Any] = []
    for w, prefix in words:
        word_params += [w, w + "\U0010ffff"] if prefix else [w]
    found: dict[str, list[Row]] = {}
    for first in range(0, len(item_ids), _ITEMS_A_QUERY):
        chunk = item_ids[first : first + _ITEMS_A_QUERY]
        part = (
            "SELECT * FROM (SELECT item_id, seq, n FROM page_words WHERE item_id = ? AND ({conditions})"
            " ORDER BY seq, n LIMIT {limit}) AS w{i}"
        )
        sql = " UNION ALL ".join(part.format(conditions=conditions, limit=int(limit), i=i) for i in range(len(chunk)))
        params = [value for item_id in chunk for value in (item_id, *word_params)]
        for row in db.query(sql, params):
            found.setdefault(row["item_id"], []).append(row)
    return found


def words_beginning(db: Database, item_id: str, prefix: str, limit: int) -> list[tuple[str, int]]:
    """Words of the item beginning with ``prefix`` and how often each occurs, most first."""
    rows = db.query(
        "SELECT word, n FROM page_terms WHERE item_id = ? AND word >= ? AND word < ? ORDER BY n DESC, word LIMIT ?",
        (item_id, prefix, prefix + "\U0010ffff", limit),
    )
    return [(row["word"], int(row["n"])) for row in rows]

"""What a word is to the search index and to a query, folded the same way on both databases: the
twin of SQLite FTS5's unicode61 tokenizer, and what PostgreSQL's tsvector is made of
(``repo.catalog.full_text``). Pure text, in the catalog because its full-text index is defined by it;
``repo.search`` folds queries and page words with the same functions."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
#: Words at least this long also match longer words they begin ("manuscr" finds "manuscripts").
PREFIX_MIN = 3
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def fold(text: str) -> str:
    """Lower case without diacritics: "Dvořák" and "dvorak" are one word, as in SQLite's unicode61."""
    if text.isascii():  # no decomposition, no combining marks: the same string, at C speed (page text)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def terms(query: str) -> list[str]:
    """The words of a user's query, folded; punctuation and operators are dropped, never interpreted."""
    return _WORD.findall(fold(query))[:32]


def sort_key(title: str) -> str:
    """Titles sort without case, accents, leading punctuation or an English article."""
    folded = fold(title).strip()
    folded = folded.lstrip("\"'([{¿¡-–—.,;: ")
    return _LEADING_ARTICLE.sub("", folded)

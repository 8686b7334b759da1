"""Words for the index and for queries, folded the same way on both databases."""

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

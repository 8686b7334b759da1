"""IIIF language maps: ``{"en": ["value"]}``, or ``"none"`` when the language is unknown."""

from __future__ import annotations

from collections.abc import Iterable

LanguageMap = dict[str, list[str]]

NO_LANGUAGE = "none"
# Our own interface strings (property labels such as "Creator") are English.
UI_LANGUAGE = "en"
# Scripts written right to left: their books are bound, and viewed, the other way.
_RIGHT_TO_LEFT = frozenset({"ar", "arc", "dv", "fa", "he", "ku", "ps", "sd", "syr", "ug", "ur", "yi"})


def lang_map(values: str | Iterable[str], language: str | None = None) -> LanguageMap:
    """A language map of the non-empty ``values`` (``{}`` when there are none)."""
    texts = [values] if isinstance(values, str) else list(values)
    texts = [t for t in (t.strip() for t in texts) if t]
    return {language or NO_LANGUAGE: texts} if texts else {}


def ui(text: str) -> LanguageMap:
    return {UI_LANGUAGE: [text]}


def viewing_direction(language: str | None) -> str:
    primary = (language or "").split("-")[0].lower()
    return "right-to-left" if primary in _RIGHT_TO_LEFT else "left-to-right"

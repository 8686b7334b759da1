"""The record's languages (MODS, DC and MARC codes or names) as Tesseract's language data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from repo.metadata.languages import terminology_code

# Tesseract names some models by script instead of the ISO 639-2/T code (Chinese: simplified).
_TESSERACT_NAMES = {"zho": "chi_sim"}


def tesseract_languages(record_languages: Iterable[str], installed: Sequence[str], default: str) -> list[str]:
    """Tesseract codes for the record's languages that are installed, in the record's order;
    ``default`` (e.g. "eng") when the record names none that is."""
    chosen: list[str] = []
    for value in record_languages:
        code = terminology_code(value)
        if code is None:
            continue
        code = _TESSERACT_NAMES.get(code, code)
        if code in installed and code not in chosen:
            chosen.append(code)
    return chosen or [code for code in default.split("+") if code]

"""Tesseract through tesserocr: the model stays loaded between pages (one API per thread and set of
languages), each page is read under a deadline, and the result is words with boxes and lines.

Tesseract's own OpenMP threads are limited to one: Muniment reads one page per core already,
and two levels of threads on the same cores only slow both (``OMP_THREAD_LIMIT``, read when
libtesseract loads, so it is set before tesserocr is imported).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyvips
from PIL import Image

from repo.errors import MunimentError
from repo.ocr.page_text import PageText, Software, Word

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class OcrFailed(MunimentError):
    """A page could not be read (no engine, no language data, timeout, undecodable scan)."""


@dataclass(frozen=True)
class LanguageData:
    code: str  # Tesseract's name: "eng", "fra", "chi_sim"
    path: Path
    sha256: str

    def describe(self) -> str:
        return f"{self.code} ({self.path.name}, sha256 {self.sha256[:16]})"


def _tesserocr() -> Any:
    try:
        import tesserocr
    except ImportError as exc:
        raise OcrFailed(
            f"OCR needs the tesserocr package and Debian's libtesseract ({exc}); "
            "install them, or set MUNIMENT_OCR=false"
        ) from None
    return tesserocr


@cache
def tesseract_version() -> str:
    """``5.3.0``: the first word after "tesseract" in the library's version report."""
    report = str(_tesserocr().tesseract_version())
    return report.split()[1] if report.startswith("tesseract ") else report.split("\n")[0]


@cache
def _installed() -> tuple[str, tuple[str, ...]]:
    path, languages = _tesserocr().get_languages()
    return str(path), tuple(sorted(code for code in languages if code != "osd"))


def installed_languages() -> tuple[str, ...]:
    return _installed()[1]


@cache
def language_data(code: str) -> LanguageData:
    """The traineddata file of ``code`` and its digest, which identifies the model exactly."""
    path = Path(_installed()[0]) / f"{code}.traineddata"
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return LanguageData(code, path, digest.hexdigest())


def software(languages: Sequence[str]) -> Software:
    data = "; ".join(language_data(code).describe() for code in languages)
    return Software("Tesseract", tesseract_version(), "tesseract-ocr", f"languages {'+'.join(languages)}: {data}")


class TesseractEngine:
    """Reads pages; safe to share between threads (each thread has its own loaded models)."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_ms = max(0, int(timeout_seconds * 1000))
        self._local = threading.local()

    def _api(self, languages: Sequence[str]) -> Any:
        apis: dict[str, Any] = self._local.__dict__.setdefault("apis", {})
        key = "+".join(languages)
        if key not in apis:
            tesserocr = _tesserocr()
            missing = [code for code in languages if code not in installed_languages()]
            if missing:
                raise OcrFailed(
                    f"no Tesseract language data for {', '.join(missing)} (installed: "
                    f"{', '.join(installed_languages())}); install tesseract-ocr-{missing[0]}"
                )
            apis[key] = tesserocr.PyTessBaseAPI(path=_installed()[0], lang=key)
        return apis[key]

    def read(self, image: Path, languages: Sequence[str], name: str) -> PageText:
        """The words of the page scan ``image`` (``name`` in errors)."""
        grey = load_grey(image, name)
        api = self._api(languages)
        api.SetImage(grey)
        try:
            if not api.Recognize(self.timeout_ms):
                raise OcrFailed(f"{name}: OCR timed out after {self.timeout_ms / 1000:g} s")
            return _page_text(api, grey.width, grey.height)
        finally:
            api.Clear()

    def close(self) -> None:
        for api in self._local.__dict__.get("apis", {}).values():
            api.End()


def load_grey(path: Path, name: str) -> Image.Image:
    """The scan as 8-bit grey in memory (Tesseract binarizes it itself); alpha flattened on white."""
    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential", fail_on="error")
        if image.hasalpha():
            image = image.flatten(background=[255] * (image.bands - 1))
        image = image.colourspace("b-w")
        if image.format != "uchar":
            image = image.cast("uchar", shift=True)
        if image.bands > 1:
            image = image.extract_band(0)
        return Image.frombytes("L", (image.width, image.height), image.write_to_memory())
    except pyvips.Error as exc:
        raise OcrFailed(f"{name}: the scan does not decode for OCR: {str(exc).splitlines()[0]}") from None


def _page_text(api: Any, width: int, height: int) -> PageText:
    tesserocr = _tesserocr()
    word_level, line_level = tesserocr.RIL.WORD, tesserocr.RIL.TEXTLINE
    words: list[Word] = []
    lines: list[tuple[int, int, int, int]] = []
    iterator = api.GetIterator()
    if iterator is None:
        return PageText(width, height)
    for item in tesserocr.iterate_level(iterator, word_level):
        text = (item.GetUTF8Text(word_level) or "").strip()
        box = item.BoundingBox(word_level)
        if not text or box is None:
            continue
        if item.IsAtBeginningOf(line_level) or not lines:
            x0, y0, x1, y1 = item.BoundingBox(line_level) or box
            lines.append((x0, y0, x1 - x0, y1 - y0))
        x0, y0, x1, y1 = box
        words.append(Word(text, x0, y0, x1 - x0, y1 - y0, len(lines) - 1, item.Confidence(word_level) / 100))
    return PageText(width, height, tuple(words), tuple(lines))

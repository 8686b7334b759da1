"""Page scans with printed words at known places, drawn with Pillow, for OCR tests and benchmarks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSerif.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif-Bold.ttf")
# Plain words of English prose, so the language model helps as it does on a real page.
PROSE = (
    "the letters of the parish were kept in a wooden chest beside the altar and read aloud each winter "
    "by the clerk who wrote down every birth marriage and burial with the names of witnesses and the "
    "price of bread candles salt and wool for the poor of the village in that year of famine and flood "
    "when the river rose over the meadows and the mill stood silent until the harvest came again"
)
VOCABULARY = PROSE.split(" ")


@dataclass(frozen=True)
class DrawnWord:
    text: str
    box: tuple[int, int, int, int]  # x, y, w, h of its ink on the page


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / name
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)  # Pillow's own scalable font when DejaVu is not installed


def words_for(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCABULARY) for _ in range(count)]


def draw_page(
    path: Path,
    words: list[str],
    *,
    font_name: str = FONTS[0],
    size: int = 36,
    width: int = 1700,
    height: int = 2200,
    margin: int = 120,
    skew: float = 0.0,
) -> list[DrawnWord]:
    """Words set as lines of a page (black on off-white paper, 8-bit grey), saved at ``path``
    (the format by its suffix); where each word's ink lies. A ``skew`` in degrees turns the whole
    page (boxes are then those before turning)."""
    page = Image.new("L", (width, height), 242)
    draw = ImageDraw.Draw(page)
    face = font(font_name, size)
    space = draw.textlength(" ", font=face)
    line_height = int(size * 1.6)
    x, y = margin, margin
    drawn = []
    for word in words:
        length = draw.textlength(word, font=face)
        if x + length > width - margin:
            x, y = margin, y + line_height
        if y + line_height > height - margin:
            break
        draw.text((x, y), word, fill=20, font=face)
        left, top, right, bottom = draw.textbbox((x, y), word, font=face)
        drawn.append(DrawnWord(word, (left, top, right - left, bottom - top)))
        x += length + space
    if skew:
        page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=242)
    page.save(path)
    return drawn


def alto_for(drawn: list[DrawnWord], width: int, height: int, per_line: int = 8) -> bytes:
    """ALTO 4 of the words where they were drawn, as another tool would supply it beside a scan."""
    from datetime import UTC, datetime

    from repo.ocr.page_text import PageText, Software, Word, alto_xml

    words = tuple(Word(d.text, *(round(v) for v in d.box), line=i // per_line) for i, d in enumerate(drawn))
    return alto_xml(PageText(width, height, words), "scan", Software("Other OCR", "2.1"), datetime.now(UTC), 1)

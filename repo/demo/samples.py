"""A small sample collection made on the spot: page scans with text, illustrations and paper tone.

Nothing is downloaded: pages are drawn with pyvips (text rendering, noise, gradients) and each
item gets a real metadata record (MODS for the book, DC for the others).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pyvips

PARAGRAPHS = [
    "It was in the spring of that year that the society resolved to gather its papers into one place, "
    "so that those who came after might read what had been done and judge it for themselves.",
    "The harbour lay quiet beneath the hill. Fishing boats rode at anchor, and along the quay the "
    "warehouses stood shuttered against the wind that came in from the grey sea each evening.",
    "Of the letters that survive, the greater part concern the affairs of the mill: the price of wool, "
    "the hiring of hands, and the repair of the great wheel after the flood of the previous winter.",
    "A map of the parish, drawn by the surveyor, shows the common fields, the lanes between them, "
    "and the small stream that marked the boundary with the neighbouring estate.",
]


@dataclass(frozen=True)
class SampleItem:
    folder: Path
    title: str
    collection: str


def paper(width: int, height: int, seed: int) -> pyvips.Image:
    """Warm paper tone with fibre noise and a slight vignette, as a real scan has."""
    noise = pyvips.Image.gaussnoise(width, height, sigma=6, mean=0, seed=seed)
    tone = [236, 226, 204]
    base = (noise + tone[0]).bandjoin([noise + tone[1], noise + tone[2]])
    xy = pyvips.Image.xyz(width, height)
    dx = (xy[0] - width / 2) / (width / 2)
    dy = (xy[1] - height / 2) / (height / 2)
    vignette = 1 - 0.08 * (dx * dx + dy * dy)
    return (base * vignette).cast("uchar").copy(interpretation="srgb")


def text_page(width: int, height: int, seed: int, heading: str, page_number: int) -> pyvips.Image:
    rng = random.Random(seed)
    page = paper(width, height, seed)
    margin = width // 10
    body = "\n\n".join(rng.choices(PARAGRAPHS, k=7))
    dpi = max(36, int(width / 8.5))  # the page is a letter-size leaf scanned at this resolution
    markup = (f"<span size='x-large'><b>{escape(heading)}</b></span>\n\n" if heading else "") + escape(body)
    text = pyvips.Image.text(markup, width=width - 2 * margin, dpi=dpi, font="serif 11", align="low", justify=True)
    ink = text.crop(0, 0, min(text.width, width - 2 * margin), min(text.height, height - 2 * margin)) / 255 * 0.85
    region = page.crop(margin, margin, ink.width, ink.height)
    blended = region * (1 - ink) + ink * 40  # faded ink rather than pure black
    page = page.insert(blended.cast("uchar"), margin, margin)
    folio = pyvips.Image.text(str(page_number), dpi=dpi, font="serif 10")
    dark = (folio / 255 * -180 + 230).cast("uchar")
    return page.insert(
        dark.bandjoin([dark, dark]).copy(interpretation="srgb"),
        width // 2,
        height - margin // 2 - folio.height,
    )


def illustration_page(width: int, height: int, seed: int) -> pyvips.Image:
    """An engraving-like plate: concentric rings and hatching in sepia on paper."""
    page = paper(width, height, seed)
    xy = pyvips.Image.xyz(width, height)
    cx, cy = width * 0.5, height * 0.45
    distance = ((xy[0] - cx) ** 2 + (xy[1] - cy) ** 2) ** 0.5
    # pyvips trigonometry works in degrees
    rings = ((distance * (360 / (width / 30))).sin() + 1) * 0.5
    hatch = (((xy[0] + xy[1]) * (360 / (width / 90))).sin() + 1) * 0.5
    mask = (distance < width * 0.35).ifthenelse(rings * 0.6 + hatch * 0.4, 0) * 0.8
    sepia = [112, 66, 20]
    out = page * (1 - mask) + (mask * sepia)
    return out.cast("uchar").copy(interpretation="srgb")


def make_collection(dest: Path, *, scale: float = 1.0) -> list[SampleItem]:
    """Three items, about twenty pages, with their metadata; ``scale`` 1.0 is about 1200x1600."""
    dest.mkdir(parents=True, exist_ok=True)
    width, height = int(1200 * scale), int(1600 * scale)
    items = [
        ("harbour-book", "The Harbour and the Hill: An Account of the Parish", 12, "mods", "books"),
        ("mill-letters", "Letters Concerning the Mill at Ashford", 5, "dc", "manuscripts"),
        ("parish-plates", "Engraved Plates of the Parish", 3, "dc", "manuscripts"),
    ]
    made = []
    for index, (slug, title, pages, kind, collection) in enumerate(items):
        folder = dest / slug
        folder.mkdir(exist_ok=True)
        for number in range(1, pages + 1):
            seed = index * 100 + number
            if slug == "parish-plates" or (slug == "harbour-book" and number % 5 == 0):
                image = illustration_page(width, height, seed)
            else:
                image = text_page(width, height, seed, title if number == 1 else "", number)
            path = folder / f"page{number}.tif"
            if not path.exists():
                image.tiffsave(str(path), compression="lzw")
        (folder / ("mods.xml" if kind == "mods" else "dc.xml")).write_text(
            book_mods(title, pages) if kind == "mods" else simple_dc(slug, title)
        )
        made.append(SampleItem(folder, title, collection))
    return made


def book_mods(title: str, pages: int) -> str:
    chapters = [("The Harbour", 1, 4), ("The Hill", 5, 8), ("The Parish Records", 9, pages)]
    parts = "".join(
        f'<relatedItem type="constituent"><titleInfo><title>{escape(t)}</title></titleInfo>'
        f'<part><extent unit="pages"><start>{s}</start><end>{e}</end></extent></part></relatedItem>'
        for t, s, e in chapters
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<mods xmlns="http://www.loc.gov/mods/v3" xmlns:xlink="http://www.w3.org/1999/xlink" version="3.8">
  <titleInfo><title>{escape(title)}</title></titleInfo>
  <name type="personal"><namePart>Whitcombe, Eleanor</namePart>
    <role><roleTerm type="text" authority="marcrelator">creator</roleTerm></role></name>
  <typeOfResource>text</typeOfResource>
  <originInfo><place><placeTerm type="text">Ashford</placeTerm></place><publisher>Parish Press</publisher>
    <dateIssued encoding="w3cdtf" keyDate="yes">1887</dateIssued></originInfo>
  <language><languageTerm type="code" authority="iso639-2b">eng</languageTerm></language>
  <physicalDescription><extent>{pages} pages</extent></physicalDescription>
  <abstract>A history of a fishing harbour and its parish, with engraved plates of the lighthouse.</abstract>
  <subject><topic>Harbors</topic><geographic>Ashford</geographic></subject>
  <subject><topic>Local history</topic></subject>
  {parts}
  <accessCondition type="use and reproduction"
    xlink:href="http://rightsstatements.org/vocab/NoC-US/1.0/">No Copyright - United States</accessCondition>
</mods>
"""


def simple_dc(slug: str, title: str) -> str:
    letters = slug == "mill-letters"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd">
  <dc:title>{escape(title)}</dc:title>
  <dc:creator>{"Hartley, Samuel" if letters else "Unknown engraver"}</dc:creator>
  <dc:subject>{"Textile mills" if letters else "Engravings"}</dc:subject>
  <dc:subject>Ashford</dc:subject>
  <dc:description>{
        "Correspondence about wool prices, hiring and the repair of the mill wheel after a flood."
        if letters
        else "Plates showing the lighthouse and the parish boundary stream."
    }</dc:description>
  <dc:date>{"1851-1853" if letters else "ca. 1890"}</dc:date>
  <dc:type>{"Text" if letters else "StillImage"}</dc:type>
  <dc:language>en</dc:language>
  <dc:rights>http://creativecommons.org/publicdomain/mark/1.0/</dc:rights>
</oai_dc:dc>
"""

"""Manifest content, equality with the iiif-prezi3 build, and validity against the official schema."""

from __future__ import annotations

from typing import Any

import pytest

from iiif.presentation.manifest import build_manifest
from iiif.presentation.source import ManifestSource, Publisher, load_source
from repo.catalog import Catalog, Collection, ItemMetadata
from tests.presentation import samples
from tests.presentation.conftest import BASE
from tests.presentation.prezi_reference import prezi3_json
from tests.presentation.schema_check import assert_valid

TOC = [
    {"title": "Preface", "start_page": 1, "end_page": 1},
    {"title": "Chapter 1", "start_page": 2, "end_page": 3},
    {"title": "Beyond the last page", "start_page": 9, "end_page": 12},
]


def source(
    pages: int = 3, meta: ItemMetadata | None = None, collection_rights: str = "", **item: Any
) -> ManifestSource:
    it = samples.item(page_count=pages, **item)
    return ManifestSource(
        it,
        Collection(it.collection, "Letters", "Letters of note", collection_rights),
        meta if meta is not None else samples.record(toc=TOC),
        samples.pages(it.id, pages),
    )


VARIANTS = {
    "book with contents": lambda: source(),
    "one still image": lambda: source(1, samples.record(type="StillImage", rights=None)),
    "right-to-left, no rights": lambda: source(4, samples.record(language="ar", rights=None, type="Image")),
    "no metadata record": lambda: ManifestSource(samples.item(), None, None, samples.pages("i1", 2)),
    "no date, unknown language": lambda: source(2, samples.record(language=None, date=None, years=None)),
}


@pytest.mark.parametrize("make", VARIANTS.values(), ids=VARIANTS.keys())
def test_fast_builder_writes_what_iiif_prezi3_writes(make: Any, publisher: Publisher) -> None:
    src = make()
    assert build_manifest(src, publisher) == prezi3_json(src, publisher)


@pytest.mark.parametrize("make", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_variant_is_valid(make: Any, publisher: Publisher) -> None:
    assert_valid(build_manifest(make(), publisher))


def test_descriptive_properties(publisher: Publisher) -> None:
    m = build_manifest(source(), publisher)
    assert m["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert m["id"] == f"{BASE}/iiif/i1/manifest" and m["type"] == "Manifest"
    assert m["label"] == {"en": ["Letter to Ada"]}
    assert m["summary"] == {"en": ["A letter about the analytical engine and its notes."]}
    metadata = {e["label"]["en"][0]: e["value"] for e in m["metadata"]}
    # names, dates and terms are in no language; the label and summary are in the record's
    assert metadata["Creator"] == {"none": ["Babbage, Charles"]}
    assert metadata["Subject"] == {"none": ["Mathematics", "Calculating machines"]}
    assert metadata["Date"] == {"none": ["1843"]}
    assert metadata["Collection"] == {"none": ["Letters"]}
    assert m["requiredStatement"] == {
        "label": {"en": ["Attribution"]},
        "value": {"en": ["Provided by Example Library"]},
    }
    assert m["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    assert m["provider"][0]["type"] == "Agent" and m["provider"][0]["label"] == {"en": ["Example Library"]}
    assert m["homepage"] == [
        {"id": f"{BASE}/items/i1", "type": "Text", "label": {"en": ["Letter to Ada"]}, "format": "text/html"}
    ]
    assert [(s["id"], s["format"]) for s in m["seeAlso"]] == [
        (f"{BASE}/items/i1/mods.xml", "application/mods+xml"),
        (f"{BASE}/items/i1/dc.xml", "application/xml"),
        (f"{BASE}/items/i1/dc.ttl", "text/turtle"),
        (f"{BASE}/items/i1/dc.jsonld", "application/ld+json"),
    ]
    assert m["partOf"] == [
        {"id": f"{BASE}/iiif/collection/letters", "type": "Collection", "label": {"none": ["Letters"]}}
    ]
    assert m["navDate"] == "1843-01-01T00:00:00Z"
    assert m["behavior"] == ["paged"]
    assert m["viewingDirection"] == "left-to-right"
    assert m["start"] == {"id": f"{BASE}/iiif/i1/canvas/p1", "type": "Canvas"}


def test_thumbnail_has_the_image_service_and_the_fitted_size(publisher: Publisher) -> None:
    thumb = build_manifest(source(), publisher)["thumbnail"][0]
    assert thumb["id"] == f"{BASE}/iiif/3/i1~1/full/!200,200/0/default.jpg"
    assert (thumb["width"], thumb["height"]) == (150, 200)  # 3000x4000 fitted into 200x200
    assert thumb["service"] == [{"id": f"{BASE}/iiif/3/i1~1", "type": "ImageService3", "profile": "level2"}]


def test_one_canvas_per_page_with_its_size_label_and_image_service(publisher: Publisher) -> None:
    src = source(3)
    canvases = build_manifest(src, publisher)["items"]
    assert [c["id"] for c in canvases] == [f"{BASE}/iiif/i1/canvas/p{n}" for n in (1, 2, 3)]
    first = canvases[0]
    assert (first["width"], first["height"], first["label"]) == (3000, 4000, {"none": ["p. 1"]})
    annotation = first["items"][0]["items"][0]
    assert annotation["motivation"] == "painting" and annotation["target"] == first["id"]
    body = annotation["body"]
    assert body["id"] == f"{BASE}/iiif/3/i1~1/full/max/0/default.jpg"
    assert body["service"] == [{"id": f"{BASE}/iiif/3/i1~1", "type": "ImageService3", "profile": "level2"}]


def test_ranges_come_from_the_table_of_contents_within_the_pages(publisher: Publisher) -> None:
    structures = build_manifest(source(3), publisher)["structures"]
    assert [(r["label"], [c["id"][-2:] for c in r["items"]]) for r in structures] == [
        ({"en": ["Preface"]}, ["p1"]),
        ({"en": ["Chapter 1"]}, ["p2", "p3"]),
    ]  # pages 9-12 do not exist


def test_rights_fall_back_to_the_collection_default_normalized(publisher: Publisher) -> None:
    src = source(
        meta=samples.record(rights=None), collection_rights="https://rightsstatements.org/page/InC/1.0/?lang=en"
    )
    assert build_manifest(src, publisher)["rights"] == "http://rightsstatements.org/vocab/InC/1.0/"
    assert "rights" not in build_manifest(source(meta=samples.record(rights=None)), publisher)


def test_behavior_and_direction_follow_type_pages_and_language(publisher: Publisher) -> None:
    assert build_manifest(source(1), publisher).get("behavior") is None
    assert build_manifest(source(3, samples.record(type="StillImage")), publisher)["behavior"] == ["individuals"]
    rtl = build_manifest(source(2, samples.record(language="he")), publisher)
    assert rtl["viewingDirection"] == "right-to-left" and rtl["label"] == {"he": ["Letter to Ada"]}


@pytest.mark.parametrize(
    ("date", "years", "nav"),
    [
        ("1893-05-14", (1893, 1893), "1893-05-14T00:00:00Z"),
        ("1893-05", (1893, 1893), "1893-05-01T00:00:00Z"),
        ("1893-05-14/1894-01-02", (1893, 1894), "1893-05-14T00:00:00Z"),
        ("c1893", (1893, 1893), "1893-01-01T00:00:00Z"),
    ],
)
def test_nav_date_keeps_the_day(publisher: Publisher, date: str, years: tuple[int, int], nav: str) -> None:
    assert build_manifest(source(meta=samples.record(date=date, years=years)), publisher)["navDate"] == nav


@pytest.mark.parametrize(
    ("width", "height", "url_size", "declared"),
    [(3000, 4000, "!200,200", (150, 200)), (150, 180, "max", (150, 180)), (200, 90, "max", (200, 90)),
     (201, 100, "!200,200", (200, 100)), (100, 5000, "!200,200", (4, 200))],
)  # fmt: skip
def test_thumbnails_never_ask_the_server_to_enlarge(
    publisher: Publisher, width: int, height: int, url_size: str, declared: tuple[int, int]
) -> None:
    src = ManifestSource(samples.item(), None, samples.record(), samples.pages("i1", 1, width, height))
    thumb = build_manifest(src, publisher)["thumbnail"][0]
    assert thumb["id"] == f"{BASE}/iiif/3/i1~1/full/{url_size}/0/default.jpg"
    assert (thumb["width"], thumb["height"]) == declared


def test_dates_outside_xsd_years_have_no_nav_date(publisher: Publisher) -> None:
    assert "navDate" not in build_manifest(source(meta=samples.record(years=(-300, -250))), publisher)
    assert build_manifest(source(meta=samples.record(years=(800, 899))), publisher)["navDate"] == "0800-01-01T00:00:00Z"


def test_built_from_the_catalog_on_both_databases(catalog_url: str, publisher: Publisher) -> None:
    catalog = Catalog.open(catalog_url)
    try:
        it = samples.add(catalog, samples.item(page_count=5), samples.record(toc=TOC))
        src = load_source(catalog, it)
        manifest = build_manifest(src, publisher)
        assert len(manifest["items"]) == 5 and len(manifest["structures"]) == 2
        assert manifest == prezi3_json(src, publisher)
        assert_valid(manifest)
    finally:
        catalog.close()

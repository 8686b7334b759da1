"""The public pages rendered in process: the right content, accessible markup, the right statuses."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.errors import HANDLERS
from app.web.pages import public_pages
from app.web.pages.site import MIRADOR
from iiif.presentation.routes import presentation_routes
from repo.catalog import Catalog
from repo.services import Services
from repo.settings import Settings
from tests.presentation import samples
from tests.web.html_check import check_page, links

BASE = "http://testserver"
TOC = [{"title": "Chapter the first", "start_page": 1, "end_page": 2}]


def seed(catalog: Catalog) -> None:
    catalog.ensure_collection("letters", "Letters", "Letters of note.")
    catalog.ensure_collection("maps", "Maps and Plans", "Surveys of the parish.")
    samples.add(
        catalog,
        samples.item("ada", title="Letter to Ada", page_count=3),
        samples.record("Letter to Ada", description="A letter about the analytical engine.", toc=TOC),
    )
    samples.add(
        catalog,
        samples.item("map", collection="maps", title="A map of the parish", page_count=1),
        samples.record(
            "A map of the parish",
            type="Image",
            language="fr",
            subjects=("Parishes",),
            description="Common fields and lanes.",
            years=(1650, 1650),
            date="1650",
        ),
    )
    samples.add(catalog, samples.item("gone", title="Withdrawn letter", status="withdrawn", status_reason="duplicate"))
    samples.add(catalog, samples.item("secret", title="Secret letter", visibility="restricted"))


def make_client(tmp_path: Path, catalog_url: str) -> Iterator[tuple[TestClient, Services]]:
    services = Services.open(
        # The pages' counts are asserted: wait for them (the default budget is 50 ms, then "Counting items…").
        Settings(
            data_dir=tmp_path,
            database_url=catalog_url,
            base_url=BASE,
            repository_name="Test Archive",
            search_count_budget_ms=60_000,
        )
    )
    seed(services.catalog)
    app = Starlette(routes=[*presentation_routes(services), *public_pages(services)], exception_handlers=HANDLERS)
    with TestClient(app) as client:
        yield client, services
    services.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Services]]:
    yield from make_client(tmp_path, f"sqlite:///{tmp_path / 'catalog.sqlite3'}")


@pytest.fixture
def client(site: tuple[TestClient, Services]) -> TestClient:
    return site[0]


def text(page: str) -> str:
    """Visible text, tags dropped and whitespace collapsed, for content assertions."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/collections/letters",
        "/search",
        "/search?q=engine",
        "/items/ada",
        "/items/map",
        "/items/gone",
        "/items/nope",
        "/search?q=zzzz",
    ],
)
def test_pages_are_accessible(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-type"].startswith("text/html")
    assert check_page(response.text) == []
    assert '<meta name="viewport"' in response.text and 'class="skip-link"' in response.text


def test_home_lists_collections_with_their_public_items(client: TestClient) -> None:
    page = text(client.get("/").text)
    assert "Test Archive" in page
    assert "Letters Letters of note. 1 item" in page  # the withdrawn and restricted letters are not counted
    assert "Maps and Plans" in page and "2 items in 2 collections" in page


def test_collection_page_shows_thumbnails_and_pages(site: tuple[TestClient, Services]) -> None:
    client, services = site
    for n in range(30):
        samples.add(services.catalog, samples.item(f"m{n:02d}", collection="maps", title=f"Plan {n:02d}"))
    first = client.get("/collections/maps")
    assert first.status_code == 200
    assert first.text.count('class="card"') == 24
    assert '<img class="card__image" src="/items/m00/thumbnail" alt=""' in first.text
    assert "1–24 of 31" in first.text and 'rel="prev"' not in first.text
    second = client.get(html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text)[1]))
    assert second.text.count('class="card"') == 7 and "25–31 of 31" in second.text and 'rel="next"' not in second.text
    back = client.get(html.unescape(re.search(r'href="([^"]+)" rel="prev"', second.text)[1]))
    assert back.text.count('class="card"') == 24 and "1–24 of 31" in back.text
    newest = client.get("/collections/maps?sort=newest")
    assert re.search(r'href="/collections/maps\?sort=newest&amp;cursor=[\w-]+" rel="next"', newest.text)
    assert client.get("/collections/maps?page=2").text.count('class="card"') == 7  # old links still work
    assert client.get("/collections/nothing").status_code == 404


def test_item_page_has_viewer_metadata_and_links(client: TestClient) -> None:
    response = client.get("/items/ada")
    assert response.status_code == 200
    page = response.text
    manifest = f"{BASE}/iiif/ada/manifest"
    assert f'data-manifest="{manifest}"' in page
    assert f'href="{manifest}?manifest={quote(manifest, safe="")}"' in page  # IIIF drag and drop
    hrefs = links(page)
    assert "/items/ada/mods.xml" in hrefs and "/items/ada/dc.xml" in hrefs and manifest in hrefs
    assert '<form class="download-form" action="/items/ada/download"' in page
    visible = text(page)
    for expected in (
        "Letter to Ada",
        "Creator Babbage, Charles",
        "Date 1843",
        "Subject Mathematics",
        "Collection Letters",
        "Pages 3",
        "Chapter the first (pages 1–2)",
        "A letter about the analytical engine.",
    ):
        assert expected in visible, expected
    assert '<article class="item" lang="en">' in page
    assert "/search?subject=Mathematics" in hrefs
    assert 'href="http://creativecommons.org/licenses/by/4.0/" rel="license"' in page
    if MIRADOR.is_file():
        assert "/static/vendor/mirador/mirador.min.js?v=" in page and "/static/js/viewer.js?v=" in page
    else:
        assert "The viewer is not installed" in page


def test_withdrawn_restricted_and_missing_items(client: TestClient) -> None:
    gone = client.get("/items/gone")
    assert gone.status_code == 410 and "Withdrawn letter" in gone.text and "duplicate" in gone.text
    # A restricted item's page is public (its viewer asks for sign-in; its images are not public).
    secret = client.get("/items/secret")
    assert secret.status_code == 200 and "Secret letter" in secret.text
    assert "private" in secret.headers["cache-control"]
    assert client.get("/items/nope").status_code == 404
    for path in ("/items/gone/mods.xml", "/items/gone/dc.xml", "/items/gone/thumbnail", "/items/gone/download"):
        assert client.get(path, follow_redirects=False).status_code == 410, path
    assert client.get("/items/secret/mods.xml").status_code == 401


def test_records_are_served_as_xml(client: TestClient) -> None:
    mods = client.get("/items/ada/mods.xml")
    assert mods.headers["content-type"] == "application/mods+xml; charset=utf-8" and "<mods>" in mods.text
    dc = client.get("/items/ada/dc.xml")
    assert dc.headers["content-type"] == "application/xml; charset=utf-8" and "Letter to Ada" in dc.text


def test_thumbnail_from_storage_else_from_the_image_server(site: tuple[TestClient, Services]) -> None:
    client, services = site
    missing = client.get("/items/ada/thumbnail", follow_redirects=False)
    assert missing.status_code == 307
    assert missing.headers["location"] == f"{BASE}/iiif/3/ada~1/full/!200,200/0/default.jpg"
    services.access.put_bytes("ada/p1.jpg", b"\xff\xd8jpeg")
    stored = client.get("/items/ada/thumbnail")
    assert stored.status_code == 200 and stored.content == b"\xff\xd8jpeg"
    assert stored.headers["content-type"] == "image/jpeg"


def test_download_sends_to_the_full_size_image(client: TestClient) -> None:
    response = client.get("/items/ada/download?page=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}/iiif/3/ada~2/full/max/0/default.jpg"
    fallback = client.get("/items/ada/download?page=99", follow_redirects=False)
    assert fallback.headers["location"].endswith("/ada~1/full/max/0/default.jpg")


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/css/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/js/viewer.js").status_code == 200


@pytest.fixture
def client_on_each_database(tmp_path: Path, catalog_url: str) -> Iterator[TestClient]:
    for client, _ in make_client(tmp_path, catalog_url):
        yield client


def test_search_page_finds_and_narrows(client_on_each_database: TestClient) -> None:
    client = client_on_each_database
    page = client.get("/search?q=analytical")
    assert page.status_code == 200
    visible = text(page.text)
    assert "1 item" in visible and "Letter to Ada" in visible
    everything = client.get("/search").text
    facet_link = "/search?type=Image"
    assert f'href="{facet_link}"' in everything
    narrowed = client.get(facet_link).text
    assert "A map of the parish" in text(narrowed) and "Letter to Ada" not in text(narrowed)
    assert "Remove filter" in narrowed and 'href="/search"' in narrowed
    dates = client.get("/search?from=1600&to=1700").text
    assert "A map of the parish" in text(dates) and "Letter to Ada" not in text(dates)
    nothing = client.get("/search?q=zzzz").text
    assert "No items match" in nothing
    assert "Relevance" not in client.get("/search").text  # no words, nothing to rank
    # Languages read as names, in the facet and in the chosen filter; the link keeps the code.
    assert 'href="/search?language=fr"' in everything and "French" in text(everything)
    french = text(client.get("/search?language=fr").text)
    assert "French" in french and "A map of the parish" in french
    assert "French" in text(client.get("/items/map").text)


def test_the_application_mounts_the_pages_and_the_presentation_api(tmp_path: Path) -> None:
    from app.web import create_app

    settings = Settings(data_dir=tmp_path, base_url=BASE)
    services = Services.open(settings)
    seed(services.catalog)
    with TestClient(create_app(settings, services)) as client:
        assert "Letter to Ada" in client.get("/items/ada").text
        assert client.get("/iiif/ada/manifest").json()["id"] == f"{BASE}/iiif/ada/manifest"
        assert client.get("/iiif/collection/top").status_code == 200
        assert client.get("/").status_code == 200


def test_an_item_is_linked_data_by_url_and_by_content_negotiation(client: TestClient) -> None:
    import rdflib
    from rdflib.compare import isomorphic
    from rdflib.namespace import DC

    subject = rdflib.URIRef("http://testserver/items/map")
    graphs = []
    for path, accept, media_type, fmt in (
        ("/items/map/dc.ttl", "*/*", "text/turtle", "turtle"),
        ("/items/map/dc.jsonld", "*/*", "application/ld+json", "json-ld"),
        ("/items/map", "text/turtle", "text/turtle", "turtle"),
        ("/items/map", "application/ld+json, text/html;q=0.5", "application/ld+json", "json-ld"),
    ):
        answer = client.get(path, headers={"Accept": accept})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type), path
        graph = rdflib.Graph().parse(data=answer.text, format=fmt)
        assert (subject, DC.title, rdflib.Literal("A map of the parish", lang="fr")) in graph
        assert (subject, DC.subject, rdflib.Literal("Parishes", lang="fr")) in graph
        graphs.append(graph)
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])
    page = client.get("/items/map", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html") and page.headers["vary"] == "Accept"
    assert client.get("/items/secret/dc.ttl").status_code == 401
    assert client.get("/items/gone", headers={"Accept": "text/turtle"}).status_code == 410

"""Complete harvests by a real harvester (oaipmh-scythe) from a real uvicorn server.

Thousands of records in two collections, some withdrawn, some restricted or under embargo;
every response the harvester receives is also checked against the schemas.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.models import Header, Record
from starlette.applications import Starlette

from app.web.oai import oai_routes
from repo.catalog import Item, format_datestamp
from repo.services import Services
from tests.oai.helpers import PREFIX, Spec, assert_valid, expected, open_services, seed
from tests.servers.ports import free_port, wait_for_port

ITEMS = 3000
PAGE_SIZE = 250


def _spec(n: int) -> Spec:
    # Four items per datestamp (the id breaks the ties), over a day and a half.
    stamp = format_datestamp(datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=n // 4 * 3))
    kind: dict[str, Any] = {}
    if n % 17 == 0:
        kind = {"status": "withdrawn"}
    elif n % 23 == 0:
        kind = {"visibility": "restricted"}
    elif n % 29 == 0:
        kind = {"visibility": "embargoed", "embargo_until": "2999-01-01"}
    elif n % 31 == 0:
        kind = {"visibility": "embargoed", "embargo_until": "2020-01-01"}
    return Spec(f"item-{n:05d}", stamp, collection="maps" if n % 3 == 0 else "letters", **kind)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = open_services(tmp_path_factory.mktemp("harvest"), page_size=PAGE_SIZE)
    seed(services.catalog, (_spec(n) for n in range(ITEMS)))
    yield services
    services.close()


@pytest.fixture(scope="module")
def base_url(services: Services) -> Iterator[str]:
    port = free_port()
    # The OAI-PMH routes alone: the other providers' start-up work is not what is tested here
    # (test_verbs checks that create_app mounts these same routes).
    app = Starlette(routes=oai_routes(services))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}/oai"
    server.should_exit = True
    thread.join(timeout=10)


class CheckingScythe(Scythe):
    """The real harvester, with every response it receives validated on the way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.responses = 0

    def _request(self, query: dict[str, str]) -> Any:
        response = super()._request(query)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/xml; charset=utf-8"
        assert_valid(response.content)
        self.responses += 1
        return response


def _harvested(items: Iterator[Any]) -> dict[str, bool]:
    found: dict[str, bool] = {}
    for item in items:
        header: Header = item.header if isinstance(item, Record) else item
        assert header.identifier is not None and header.identifier not in found, "harvested twice"
        found[header.identifier] = header.deleted
    return found


@pytest.mark.parametrize(("prefix", "method"), [("oai_dc", "GET"), ("mods", "GET"), ("oai_dc", "POST")])
def test_complete_harvest(services: Services, base_url: str, prefix: str, method: str) -> None:
    with CheckingScythe(base_url, http_config=HTTPConfig(http_method=method)) as scythe:
        records = [r for r in scythe.list_records(metadata_prefix=prefix) if isinstance(r, Record)]
        assert scythe.responses == -(-len(records) // PAGE_SIZE)
    assert _harvested(iter(records)) == expected(services.catalog, prefix)
    for record in records:
        if not record.deleted:
            local_id = (record.header.identifier or "")[len(PREFIX) :]
            assert local_id in str(record.metadata), "each record carries its own metadata"
        number = int((record.header.identifier or "")[-5:])
        assert record.header.setSpecs == ["maps" if number % 3 == 0 else "letters"]


def test_counts_equal_the_catalog(services: Services, base_url: str) -> None:
    with CheckingScythe(base_url) as scythe:
        harvested = _harvested(scythe.list_identifiers(metadata_prefix="oai_dc"))
    items = [Item.from_row(r) for r in services.catalog.db.query("SELECT * FROM items")]
    hidden = [i for i in items if i.status == "active" and not i.is_public()]
    deleted = [i for i in items if i.status != "active"]
    assert hidden and deleted
    assert len(harvested) + len(hidden) == services.catalog.count_items() == ITEMS
    assert sum(harvested.values()) == len(deleted)


@pytest.mark.parametrize("collection", ["letters", "maps"])
def test_harvest_by_set(services: Services, base_url: str, collection: str) -> None:
    with CheckingScythe(base_url) as scythe:
        harvested = _harvested(scythe.list_records(metadata_prefix="mods", set_=collection))
    assert harvested == expected(services.catalog, "mods", collection=collection)


WINDOWS = {
    "days": ("2023-01-02", "2023-01-02", "2023-01-02T00:00:00Z", "2023-01-02T23:59:59Z"),
    "seconds": ("2023-01-01T03:00:00Z", "2023-01-02T05:30:00Z", "2023-01-01T03:00:00Z", "2023-01-02T05:30:00Z"),
}


@pytest.mark.parametrize(("start", "end", "lower", "upper"), WINDOWS.values(), ids=WINDOWS.keys())
def test_harvest_by_date_window(
    services: Services, base_url: str, start: str, end: str, lower: str, upper: str
) -> None:
    want = expected(services.catalog, "oai_dc", collection="letters", lower=lower, upper=upper)
    assert len(want) > PAGE_SIZE
    with CheckingScythe(base_url) as scythe:
        harvested = _harvested(
            scythe.list_identifiers(metadata_prefix="oai_dc", set_="letters", from_=start, until=end)
        )
    assert harvested == want


def test_responses_are_streamed_and_gzipped_over_http(base_url: str) -> None:
    arguments = {"verb": "ListRecords", "metadataPrefix": "mods"}
    with httpx.stream("GET", base_url, params=arguments, headers={"accept-encoding": "gzip"}) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.headers
        assert_valid(response.read())

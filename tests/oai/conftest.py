"""A small repository for the protocol tests: two collections, deleted, hidden and bare items."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from repo.services import Services
from tests.oai.helpers import OAIClient, Spec, open_services, seed

PAGE_SIZE = 4


def small_repository() -> list[Spec]:
    specs = [Spec(f"l{n:02d}", f"2021-01-{n:02d}T10:00:00Z") for n in range(1, 11)]
    specs += [Spec(f"m{n:02d}", f"2021-01-{n:02d}T10:00:00Z", collection="maps") for n in range(1, 4)]
    specs += [
        Spec("withdrawn", "2021-02-01T00:00:00Z", status="withdrawn"),
        Spec("purged", "2021-02-02T00:00:00Z", status="purged", metadata=False),
        Spec("restricted", "2021-02-03T00:00:00Z", visibility="restricted"),
        Spec("embargo-future", "2021-02-04T00:00:00Z", visibility="embargoed", embargo_until="2999-01-01"),
        Spec("embargo-past", "2021-02-05T00:00:00Z", visibility="embargoed", embargo_until="2001-01-01"),
        Spec("bare", "2021-02-06T00:00:00Z", metadata=False),
        Spec("loc-book", "2021-02-07T00:00:00Z", mods_file="loc-mods-book-sound-and-fury-lccn99042030.xml"),
    ]
    return specs


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = open_services(tmp_path_factory.mktemp("oai"), page_size=PAGE_SIZE)
    seed(services.catalog, small_repository())
    services.catalog.ensure_collection("empty", "Empty")
    yield services
    services.close()


@pytest.fixture(scope="module")
def oai(services: Services) -> OAIClient:
    return OAIClient(services)


@pytest.fixture(scope="module")
def empty_oai(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAIClient]:
    """A repository with neither items nor collections."""
    services = open_services(tmp_path_factory.mktemp("oai-empty"))
    yield OAIClient(services)
    services.close()

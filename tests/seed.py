"""What a test starts from, made in the test's own process through the calls the commands make:
an ingested item, an API token. A ``muniment`` command for each costs a second or two of start-up,
and what those tests check is what comes after."""

from __future__ import annotations

from pathlib import Path

from ingest.context import ItemSource
from ingest.runner import Ingester
from repo.auth import Role, TokenStore
from repo.services import Services
from repo.settings import Settings


def ingest(env: dict[str, str], folder: Path, collection: str, identifier: str | None = None) -> str:
    """``muniment ingest FOLDER --collection C [--identifier I]`` for the repository of ``env``."""
    services = Services.open(Settings.load(environ=env))
    ingester = Ingester(services)
    try:
        result = ingester.ingest(ItemSource(folder, collection, identifier=identifier))
    finally:
        ingester.close()
        services.close()
    assert result.status == "ingested" and result.item_id, result.problems
    return result.item_id


def token(env: dict[str, str], role: str, name: str) -> str:
    """``muniment token create --role R --name N``: the secret."""
    services = Services.open(Settings.load(environ=env))
    try:
        secret, _ = TokenStore(services.catalog.db).create(name, Role.parse(role))
    finally:
        services.close()
    return secret

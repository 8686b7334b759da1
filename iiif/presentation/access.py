"""Who may see an item: the one decision that manifests, pages and images all ask.

The admin API will add token checks here (a restricted item with a valid token becomes
``VISIBLE``); every caller then gains them at once.
"""

from __future__ import annotations

from enum import Enum

from starlette.requests import HTTPConnection

from repo.catalog import Item


class Access(Enum):
    VISIBLE = 200
    UNAUTHORIZED = 401  # restricted or still under embargo
    NOT_FOUND = 404
    GONE = 410  # withdrawn: a tombstone, so links and harvesters learn it is gone for good

    @property
    def status(self) -> int:
        return self.value


def decide_access(item: Item | None, connection: HTTPConnection | None = None) -> Access:
    """What ``connection`` (None: an anonymous reader) may do with ``item``."""
    if item is None:
        return Access.NOT_FOUND
    if item.status == "withdrawn":
        return Access.GONE
    if item.is_public():
        return Access.VISIBLE
    return Access.UNAUTHORIZED

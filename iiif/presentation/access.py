"""Who may see an item: the one decision that manifests, pages, images and the admin API all ask.

Public items are visible to anyone; restricted items, and embargoed ones until their embargo
passes (compared with the clock: no job lifts it), need a reader token or better. Any status but
``active`` (withdrawn, purged) is gone for everyone. Who is asking comes from
``repo.auth.request_principal``: another way of proving it (the IIIF Authorization Flow 2.0's
access tokens) plugs in there, and every caller gains it at once.
"""

from __future__ import annotations

from enum import Enum

from starlette.requests import HTTPConnection

from repo.auth import Principal, Role, request_principal
from repo.catalog import Item


class Access(Enum):
    VISIBLE = 200
    UNAUTHORIZED = 401  # restricted or still under embargo, and no reader token
    NOT_FOUND = 404
    GONE = 410  # withdrawn or purged: a tombstone, so links and harvesters learn it is gone for good

    @property
    def status(self) -> int:
        return self.value


def decide_access(item: Item | None, connection: HTTPConnection | Principal | None = None) -> Access:
    """What ``connection`` (a request, or a principal already known; None: anonymous) may do with ``item``."""
    if item is None:
        return Access.NOT_FOUND
    if item.status != "active":
        return Access.GONE
    if item.is_public():
        return Access.VISIBLE
    # Only now is the token looked at: requests for public items never cost a lookup.
    principal = connection if isinstance(connection, Principal) else request_principal(connection)
    if principal is not None and principal.allows(Role.READER):
        return Access.VISIBLE
    return Access.UNAUTHORIZED

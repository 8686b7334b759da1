"""Who may see an item: the one decision that manifests, pages, images and the admin API all ask.

Public items are visible to anyone; restricted items, and embargoed ones until their embargo
passes (compared with the clock: no job lifts it), need a reader token or better. Any status but
``active`` (withdrawn, purged) is gone for everyone. Who is asking is a principal, or a function
that finds it (``repo.auth.request_principal`` of a request), called only for an item that is not
public, so that requests for public items never look a token up.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from repo.auth import Principal, Role
from repo.catalog import Item

Asker = Principal | Callable[[], Principal | None] | None


# ``Item.is_public`` as SQL, for listings that page in the database (tests check that they agree
# item by item): ``{t}`` is the items table's alias; one parameter, now as a datestamp.
_VIEWABLE = (
    "({t}.visibility = 'public'"
    " OR ({t}.visibility = 'embargoed' AND {t}.embargo_until IS NOT NULL AND {t}.embargo_until <= ?))"
)


def public_items_sql(table: str = "items", *, active_only: bool = True) -> str:
    """The condition that an item is public now; ``active_only=False`` leaves withdrawn and purged
    items in (OAI-PMH lists them as deleted records)."""
    viewable = _VIEWABLE.format(t=table)
    return f"({table}.status = 'active' AND {viewable})" if active_only else viewable


class Access(Enum):
    VISIBLE = 200
    UNAUTHORIZED = 401  # restricted or still under embargo, and no reader token
    NOT_FOUND = 404
    GONE = 410  # withdrawn or purged: a tombstone, so links and harvesters learn it is gone for good

    @property
    def status(self) -> int:
        return self.value


def decide_access(item: Item | None, asker: Asker = None) -> Access:
    """What ``asker`` (a principal, a function finding it; None: anonymous) may do with ``item``."""
    if item is None:
        return Access.NOT_FOUND
    if item.status != "active":
        return Access.GONE
    if item.is_public():
        return Access.VISIBLE
    # Only now is the token looked at: requests for public items never cost a lookup.
    principal = asker() if callable(asker) else asker
    if principal is not None and principal.allows(Role.READER):
        return Access.VISIBLE
    return Access.UNAUTHORIZED

"""Who may see an item: the one decision that manifests, pages, images and the admin API all ask.

Public items are visible to anyone; restricted items, and embargoed ones until their embargo
passes (compared with the clock: no job lifts it), need a reader token or better. Any status but
``active`` (withdrawn, purged) is gone for everyone.

A restricted item's *record* (its page and IIIF manifest) is public, the same for everyone, while
its images are not (``decide_record_access``): a viewer reads the manifest, then the IIIF
Authorization Flow and the image server decide what this reader sees. It stays out of search,
collections and OAI-PMH (reached by its link only). An embargoed item is hidden altogether until its
embargo passes. An access tier (``Tier``, of the item or its collection) may open a restricted item's
small images to anyone (``decide_image_access``). Who is asking is a principal, or a function
that finds it (``repo.auth.request_principal`` of a request), called only for an item that is not
public, so that requests for public items never look a token up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from repo.auth import Principal, Role
from repo.catalog import Catalog, Item
from repo.catalog.reader_access import own_tier, set_tier, tier_of
from repo.errors import NotFoundError

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


def decide_record_access(item: Item | None, asker: Asker = None) -> Access:
    """Whether ``asker`` may read ``item``'s record (page, manifest): a restricted item's is public."""
    if item is not None and item.status == "active" and item.visibility == "restricted":
        return Access.VISIBLE
    return decide_access(item, asker)


class Tier(Enum):
    """How much of a restricted (or still embargoed) item anyone may see."""

    RESTRICTED = "restricted"  # nothing without a reader's sign-in (the default)
    SMALL = "small"  # thumbnails and sizes up to the public size for anyone; the full image for readers

    @classmethod
    def parse(cls, text: str) -> Tier:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown access tier {text!r}: one of {', '.join(t.value for t in cls)}") from None


@dataclass(frozen=True)
class ImageAccess:
    access: Access
    max_size: int | None = None  # visible only up to this longest side (a tier's public sizes)

    @property
    def whole(self) -> bool:
        return self.access is Access.VISIBLE and self.max_size is None


def decide_image_access(item: Item | None, tier: Tier, public_size: int, asker: Asker = None) -> ImageAccess:
    """What ``asker`` may see of ``item``'s images: all, none, or (``Tier.SMALL``, to an anonymous
    asker) sizes up to ``public_size``."""
    access = decide_access(item, asker)
    if access is Access.UNAUTHORIZED and tier is Tier.SMALL:
        return ImageAccess(Access.VISIBLE, max(1, public_size))
    return ImageAccess(access)


def access_tier(catalog: Catalog, item: Item) -> tuple[Tier, bool]:
    """The item's tier in effect, and whether it is the item's own (else its collection's, or the default)."""
    own = own_tier(catalog.db, "item", item.id)
    found = own or tier_of(catalog.db, item.id, item.collection)
    return (Tier(found) if found else Tier.RESTRICTED), own is not None


def set_access_tier(catalog: Catalog, scope: str, key: str, tier: Tier | None) -> None:
    """Set the tier of an item or a collection (``scope``); None: the item follows its collection
    again (a collection, the default)."""
    if scope == "item" and catalog.get_item(key) is None:
        raise NotFoundError(f"no item {key!r}")
    if scope == "collection" and catalog.get_collection(key) is None:
        raise NotFoundError(f"no collection {key!r}")
    set_tier(catalog.db, scope, key, tier.value if tier else None)

"""Collection slugs: one path segment in every URL (`/collections/{slug}`, `/iiif/collection/{slug}`)
and the collection's OAI-PMH setSpec, so one rule for every way a collection is made."""

from __future__ import annotations

import re

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
_SLUG = re.compile(SLUG_PATTERN)
# `/iiif/collection/top` is the collection of all collections: a collection called "top" would be unreachable.
RESERVED_SLUGS = frozenset({"top"})


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a collection, or None when it can."""
    if not _SLUG.fullmatch(slug):
        return (
            f"collection {slug!r} is not a valid slug: use 1 to 64 lower-case letters, digits and '-',"
            " starting with a letter or digit"
        )
    if slug in RESERVED_SLUGS:
        return f"collection {slug!r} is reserved: /iiif/collection/{slug} lists all collections"
    return None

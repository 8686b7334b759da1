"""Which items anyone may list: ``Item.is_public`` as SQL, for listings that page in the database.

``tests/web/test_search.py`` checks the two agree item by item.
"""

from __future__ import annotations

_PUBLIC = (
    "({t}.status = 'active' AND ({t}.visibility = 'public'"
    " OR ({t}.visibility = 'embargoed' AND {t}.embargo_until IS NOT NULL AND {t}.embargo_until <= ?)))"
)


def public_items_sql(table: str = "items") -> str:
    """A condition on the items table (aliased ``table``) with one parameter: now, as a datestamp."""
    return _PUBLIC.format(t=table)

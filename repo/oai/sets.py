"""Sets: one per collection, its slug the setSpec, its title and description in oai_dc."""

from __future__ import annotations

import re

from repo.catalog import Catalog, Collection
from repo.metadata.dublin_core import dc_to_oai_dc_xml

# The OAI-PMH schema's setSpecType: a collection whose slug does not match has no set.
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")


def is_set_spec(value: str) -> bool:
    return _SET_SPEC.fullmatch(value) is not None


def set_collections(catalog: Catalog) -> list[Collection]:
    """The collections that are sets; none means the repository has no set hierarchy."""
    return [c for c in catalog.list_collections() if is_set_spec(c.slug)]


def set_description(collection: Collection) -> str | None:
    """The collection as an oai_dc record (serialized, with its XML declaration), if it can be one."""
    fields = {"title": collection.title, "description": collection.description, "rights": collection.rights}
    try:
        return dc_to_oai_dc_xml({k: [v] for k, v in fields.items() if v.strip()}).decode("utf-8")
    except ValueError:  # characters XML cannot hold: the set keeps its name, without a description
        return None

"""Descriptive and preservation metadata: DC, MODS, crosswalks, PREMIS, safe XML parsing.

Importing the package points libxml2 at our schema catalog before anything else can load a
schema (see ``schemas``).
"""

from repo.metadata import schemas as _schemas  # noqa: F401  (sets XML_CATALOG_FILES first)

"""OAI-PMH 2.0 data provider: the catalog's items as records in oai_dc and MODS, sets from collections."""

from repo.oai.routes import oai_routes

__all__ = ["oai_routes"]

"""OAI-PMH 2.0 data provider: the catalog's items as records in oai_dc and MODS, sets from collections.
The HTTP endpoint is ``app.web.oai``."""

"""The key that signs OAI-PMH resumption tokens and staff session cookies: ``MUNIMENT_SECRET_KEY``
when set, else a random one made at first start and kept in the catalog, so that tokens and sessions
outlive restarts and every worker on every machine sharing the catalog verifies the others'. Like
the API tokens, it is the catalog's own (no storage holds it): a catalog made again makes a new one,
harvesters start their lists over and staff sign in again."""

from __future__ import annotations

import logging
import secrets

from repo.catalog import Database
from repo.catalog.token_rows import stored_secret

log = logging.getLogger("muniment.auth")


def instance_secret(secret_key: str, db: Database) -> str:
    if secret_key:
        return secret_key
    # Workers starting at once each offer a key; the first stored is everyone's.
    key, made = stored_secret(db, secrets.token_hex(32))
    if made:
        log.warning(
            "MUNIMENT_SECRET_KEY is not set: OAI-PMH resumption tokens and staff sessions are signed "
            "with a random key, made now and kept in the catalog"
        )
    return key

"""The catalog's append-only audit log of writes (table ``api_audit``): the SQL behind
``repo.auth.write_log``."""

from __future__ import annotations

from collections.abc import Sequence

from repo.catalog.db import Database, Row

COLUMNS = ("at", "actor", "token_id", "role", "action", "target", "outcome", "remote", "detail")


def append(db: Database, values: Sequence[object]) -> None:
    """One entry, ``values`` in the order of ``COLUMNS``."""
    db.execute(f"INSERT INTO api_audit ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", values)


def newest(
    db: Database, *, limit: int, before: int | None = None, actor: str | None = None, target: str | None = None
) -> list[Row]:
    """Newest first; ``before`` (an entry id) pages back through older ones."""
    clauses, params = ["1 = 1"], list[object]()
    for clause, value in (("id < ?", before), ("actor = ?", actor), ("target = ?", target)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return db.query(f"SELECT * FROM api_audit WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?", (*params, limit))

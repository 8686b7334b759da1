"""The audit log of writes: who (token name and role), what (method, path, target), when, from
where (the client address), and how it ended (the HTTP status). Append-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from repo.catalog import Database, utc_now, write_log_rows


@dataclass(frozen=True)
class WriteRecord:
    actor: str  # the token's name, or the OS account for the command line
    action: str  # e.g. "POST /api/v1/collections", "token create"
    target: str = ""  # the collection, item, job or token concerned
    outcome: int = 200  # the HTTP status the write ended with (0: the command line succeeded)
    remote: str = ""  # the client address, or "cli@host"
    detail: str = ""
    token_id: str = ""
    role: str = ""
    at: str = ""
    id: int = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def refused_bag(bag: str, problems: Iterable[object]) -> str:
    """The detail of a refused bag's entry: which bag, and every reason."""
    return f"bag {bag!r}: {'; '.join(str(p) for p in problems) or 'refused'}"


class WriteLog:
    def __init__(self, db: Database) -> None:
        self.db = db  # its tables are the catalog schema's (repo.catalog.schema)

    def record(self, entry: WriteRecord) -> None:
        write_log_rows.append(
            self.db,
            (
                entry.at or utc_now(),
                entry.actor,
                entry.token_id,
                entry.role,
                entry.action,
                entry.target[:500],
                entry.outcome,
                entry.remote[:200],
                entry.detail[:2000],
            ),
        )

    def entries(
        self, *, limit: int = 100, before: int | None = None, actor: str | None = None, target: str | None = None
    ) -> list[WriteRecord]:
        """Newest first; ``before`` (an entry id) pages back through older ones."""
        rows = write_log_rows.newest(self.db, limit=limit, before=before, actor=actor, target=target)
        return [WriteRecord(**{**r, "id": int(r["id"]), "outcome": int(r["outcome"])}) for r in rows]

"""ListIdentifiers and ListRecords: keyset pages streamed in batches, resumed by signed tokens.

A harvest's upper datestamp bound is frozen at its first request, so records added while it
runs (always stamped later) wait for the next incremental harvest instead of shifting pages.
A record whose datestamp moves during a harvest leaves its old place and may be missed by this
harvest; it is found by the next one, which starts from this harvest's responseDate: what the
specification allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from repo.catalog import format_datestamp
from repo.oai import queries
from repo.oai.arguments import OAIRequest
from repo.oai.context import OAIContext
from repo.oai.errors import OAIError
from repo.oai.formats import FORMATS
from repo.oai.queries import RecordRow, Selection
from repo.oai.sets import set_collections
from repo.oai.tokens import ListState
from repo.oai.verbs import metadata_format
from repo.oai.xmlwriter import resumption_token

BATCH = 200  # records per query and per streamed chunk: bounds memory whatever the page size

Fetch = Callable[[tuple[str, str] | None, int], list[RecordRow]]


class _Pager:
    """Fetches one page in batches and learns, with one extra row, whether more pages follow."""

    def __init__(self, fetch: Fetch, after: tuple[str, str] | None, page_size: int) -> None:
        self._fetch = fetch
        self.last = after
        self._remaining = page_size
        self.more = False

    def next_batch(self) -> list[RecordRow]:
        if self._remaining == 0:
            return []
        wanted = min(self._remaining, BATCH)
        last_of_page = wanted == self._remaining
        rows = self._fetch(self.last, wanted + 1 if last_of_page else wanted)
        if len(rows) > wanted:
            self.more = True
            rows = rows[:wanted]
        self._remaining = 0 if len(rows) < wanted or last_of_page else self._remaining - wanted
        if rows:
            self.last = (rows[-1].datestamp, rows[-1].id)
        return rows


def list_records(ctx: OAIContext, request: OAIRequest, now: datetime) -> Iterator[str]:
    """Checks the request and reads the first batch now (errors must precede the stream)."""
    now_text, now_seconds = format_datestamp(now), int(now.timestamp())
    if request.resumption_token is not None:
        state = ctx.codec.decode(request.resumption_token, request.verb, now_seconds)
        after: tuple[str, str] | None = (state.last_datestamp, state.last_id)
        if state.metadata_prefix not in FORMATS:  # a format dropped since the token was issued
            raise OAIError("badResumptionToken", "the resumption token is invalid or has expired")
        fmt = FORMATS[state.metadata_prefix]
    else:
        assert request.metadata_prefix is not None
        fmt = metadata_format(request.metadata_prefix)
        if request.set_spec is not None and not set_collections(ctx.catalog):
            raise OAIError("noSetHierarchy", "this repository has no sets")
        upper = min(request.until.upper, now_text) if request.until else now_text
        lower = request.from_.lower if request.from_ else None
        state = ListState(
            verb=request.verb,
            metadata_prefix=fmt.prefix,
            set_spec=request.set_spec,
            lower=lower,
            upper=upper,
            last_datestamp="",
            last_id="",
            cursor=0,
            complete_list_size=0,
            expires=0,
        )
        after = None
    selection = Selection(fmt.column, state.set_spec, state.lower, state.upper)
    with_metadata = request.verb == "ListRecords"

    def fetch(key: tuple[str, str] | None, limit: int) -> list[RecordRow]:
        return queries.list_page(ctx.db, selection, now_text, key, limit, with_metadata=with_metadata)

    pager = _Pager(fetch, after, ctx.page_size)
    first = pager.next_batch()
    if not first:
        raise OAIError("noRecordsMatch", "no records match these arguments")
    return _stream(ctx, request.verb, state, selection, pager, first, now)


def _stream(
    ctx: OAIContext,
    verb: str,
    state: ListState,
    selection: Selection,
    pager: _Pager,
    first: list[RecordRow],
    now: datetime,
) -> Iterator[str]:
    render = ctx.writer.record if verb == "ListRecords" else ctx.writer.header
    yield f"<{verb}>\n"
    sent = 0
    batch = first
    while batch:
        yield "".join([render(row) for row in batch])
        sent += len(batch)
        batch = pager.next_batch()
    if pager.more and pager.last is not None:
        # completeListSize is optional: counting the whole list cost the first page in proportion
        # to the repository, so it is given only once known, on the last page. (A token made
        # before this carries its count on; 0 in new ones.)
        size = state.complete_list_size or None
        expires = now + ctx.token_lifetime
        token = ctx.codec.encode(state.advanced(pager.last, sent, size or 0, int(expires.timestamp())))
        yield resumption_token(
            token, cursor=state.cursor, complete_list_size=size, expiration=format_datestamp(expires)
        )
    elif state.cursor > 0:  # the last page of a resumed list: an empty token closes it
        yield resumption_token(
            "",
            cursor=state.cursor,
            complete_list_size=max(state.complete_list_size, state.cursor + sent),
            expiration=None,
        )
    yield f"</{verb}>\n"

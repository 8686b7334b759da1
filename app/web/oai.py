"""``/oai``: the OAI-PMH endpoint (GET, and POST with a form body), streamed, gzip when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from repo.catalog import format_datestamp
from repo.oai import verbs
from repo.oai.arguments import OAIRequest, parse_arguments
from repo.oai.context import PATH, OAIContext
from repo.oai.errors import OAIError
from repo.oai.listing import list_records
from repo.oai.xmlwriter import ENVELOPE_END, envelope_start, error
from repo.services import Services

MEDIA_TYPE = "text/xml; charset=utf-8"
FORM = "application/x-www-form-urlencoded"
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 64

Handler = Callable[[OAIContext, OAIRequest, datetime], Iterable[str]]
HANDLERS: dict[str, Handler] = {
    "Identify": verbs.identify,
    "ListMetadataFormats": verbs.list_metadata_formats,
    "ListSets": verbs.list_sets,
    "GetRecord": verbs.get_record,
    "ListIdentifiers": list_records,
    "ListRecords": list_records,
}


def oai_routes(services: Services) -> list[BaseRoute]:
    """The route provider listed in ``app.web.app.PROVIDERS``."""
    context = OAIContext.from_services(services)

    async def oai_endpoint(request: Request) -> Response:
        return await respond(context, request)

    # Level 5: most of level 9's saving on XML at a fraction of its time per record.
    gzip = Middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    return [Route(PATH, oai_endpoint, methods=["GET", "POST"], middleware=[gzip], max_body_size=MAX_BODY_BYTES)]


async def respond(context: OAIContext, request: Request) -> Response:
    now = datetime.now(UTC).replace(microsecond=0)
    echoed: dict[str, str] | None = None
    body: Iterable[str]
    try:
        oai_request = parse_arguments(await _arguments(request))
        echoed = {"verb": oai_request.verb, **oai_request.arguments}
        body = await run_in_threadpool(HANDLERS[oai_request.verb], context, oai_request, now)
    except OAIError as exc:
        body = [error(exc.code, exc.message)]
        if not exc.echoes_arguments:
            echoed = None
    head = envelope_start(format_datestamp(now), context.base_url, echoed)
    return StreamingResponse(_document(head, body), media_type=MEDIA_TYPE)


async def _arguments(request: Request) -> list[tuple[str, str]]:
    if request.method == "POST":
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != FORM:
            raise OAIError("badArgument", f"a POST request must send its arguments as {FORM}")
        raw = (await request.body()).decode("utf-8", errors="replace")
    else:
        raw = request.scope["query_string"].decode("utf-8", errors="replace")
    try:
        return parse_qsl(raw, keep_blank_values=True, errors="replace", max_num_fields=MAX_FIELDS)
    except ValueError:
        raise OAIError("badArgument", "too many arguments") from None


def _document(head: str, body: Iterable[str]) -> Iterator[bytes]:
    """The response in pieces; a listing's body reads the catalog batch by batch as it goes."""
    yield head.encode()
    for chunk in body:
        yield chunk.encode()
    yield ENVELOPE_END.encode()

"""Presentation API routes: `/iiif/{item}/manifest`, `/iiif/collection/{slug}` (and its parts,
`/iiif/collection/{slug}/{n}`, when it is large), `/iiif/collection/top`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from iiif.auth.services import AuthServices
from iiif.presentation.http import client_etags, denied_response, document_response, not_modified, preflight
from iiif.presentation.service import Outcome, PresentationService
from iiif.presentation.source import Publisher
from repo.access import Access
from repo.services import Services


def presentation_routes(services: Services) -> list[BaseRoute]:
    service = PresentationService(
        services.catalog,
        Publisher.from_settings(services.settings),
        collection_page_size=services.settings.iiif_collection_page_size,
        auth=AuthServices.from_settings(services.settings),
    )

    def respond(request: Request, outcome: Outcome) -> Response:
        if outcome.access is not Access.VISIBLE:
            return denied_response(outcome.access)
        if outcome.document is None:
            return not_modified(outcome.etag, outcome.private)
        return document_response(request, outcome.document, outcome.private)

    def manifest(request: Request) -> Response:
        return respond(request, service.manifest(request.path_params["item"], request, client_etags(request)))

    def collection(request: Request) -> Response:
        return respond(request, service.collection(request.path_params["slug"]))

    def collection_part(request: Request) -> Response:
        return respond(request, service.collection(request.path_params["slug"], request.path_params["part"]))

    def top(request: Request) -> Response:
        return respond(request, service.top_collection())

    # Collections first: a collection slug named "manifest" must not read as an item called "collection".
    return [
        Route("/iiif/collection/top", top, methods=["GET"]),
        Route("/iiif/collection/top", preflight, methods=["OPTIONS"]),
        Route("/iiif/collection/{slug}", collection, methods=["GET"]),
        Route("/iiif/collection/{slug}", preflight, methods=["OPTIONS"]),
        Route("/iiif/collection/{slug}/{part:int}", collection_part, methods=["GET"]),
        Route("/iiif/collection/{slug}/{part:int}", preflight, methods=["OPTIONS"]),
        Route("/iiif/{item}/manifest", manifest, methods=["GET"]),
        Route("/iiif/{item}/manifest", preflight, methods=["OPTIONS"]),
    ]

"""The four verbs with short answers: Identify, ListMetadataFormats, ListSets, GetRecord.

Each takes the checked request and returns the verb's element as strings; an OAIError raised
here becomes the response's ``<error>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from repo.catalog import format_datestamp
from repo.oai import queries
from repo.oai.arguments import OAIRequest
from repo.oai.context import OAIContext
from repo.oai.errors import OAIError
from repo.oai.formats import FORMATS, MetadataFormat
from repo.oai.queries import RecordRow, StoredItem
from repo.oai.sets import set_collections, set_description
from repo.oai.xmlwriter import element, strip_declaration, text

OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
# Patterns of the oai-identifier schema; an identifier outside them is left out of Identify.
_REPOSITORY_IDENTIFIER = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")
_LOCAL_IDENTIFIER = re.compile(r"[a-zA-Z0-9\-_.!~*'();/?:@&=+$,%]+")


def identify(ctx: OAIContext, request: OAIRequest, now: datetime) -> Iterable[str]:
    earliest = queries.earliest_datestamp(ctx.db) or format_datestamp(now)
    return [
        "<Identify>\n",
        element("repositoryName", ctx.repository_name),
        element("baseURL", ctx.base_url),
        "<protocolVersion>2.0</protocolVersion>",
        element("adminEmail", ctx.admin_email),
        f"<earliestDatestamp>{earliest}</earliestDatestamp>",
        "<deletedRecord>persistent</deletedRecord>",
        "<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>",
        "<compression>gzip</compression>\n",
        _oai_identifier_description(ctx),
        "</Identify>\n",
    ]


def _oai_identifier_description(ctx: OAIContext) -> str:
    if not _REPOSITORY_IDENTIFIER.fullmatch(ctx.repository_identifier):
        return ""
    sample = queries.sample_item_id(ctx.db)
    if sample is None or not _LOCAL_IDENTIFIER.fullmatch(sample):
        sample = "item-1"
    return (
        f'<description><oai-identifier xmlns="{OAI_IDENTIFIER}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi:schemaLocation="{OAI_IDENTIFIER} {OAI_IDENTIFIER_SCHEMA}">'
        "<scheme>oai</scheme>"
        f"<repositoryIdentifier>{ctx.repository_identifier}</repositoryIdentifier>"
        "<delimiter>:</delimiter>"
        f"<sampleIdentifier>{text(ctx.writer.identifier_prefix + sample)}</sampleIdentifier>"
        "</oai-identifier></description>\n"
    )


def list_metadata_formats(ctx: OAIContext, request: OAIRequest, now: datetime) -> Iterable[str]:
    formats: Iterable[MetadataFormat] = FORMATS.values()
    if request.identifier is not None:
        item = _item(ctx, request.identifier, now)
        if not item.deleted:  # a tombstone is available in every format
            formats = [f for f in formats if f.column in item.records]
        if not formats:
            raise OAIError("noMetadataFormats", "no metadata formats are available for this item")
    return [
        "<ListMetadataFormats>\n",
        *(
            f"<metadataFormat>{element('metadataPrefix', f.prefix)}{element('schema', f.schema)}"
            f"{element('metadataNamespace', f.namespace)}</metadataFormat>\n"
            for f in formats
        ),
        "</ListMetadataFormats>\n",
    ]


def list_sets(ctx: OAIContext, request: OAIRequest, now: datetime) -> Iterable[str]:
    if request.resumption_token is not None:  # the set list always fits one response: we issue none
        raise OAIError("badResumptionToken", "the resumption token is invalid or has expired")
    collections = set_collections(ctx.catalog)
    if not collections:
        raise OAIError("noSetHierarchy", "this repository has no sets")
    parts = ["<ListSets>\n"]
    for collection in collections:
        dc = set_description(collection)
        described = f"<setDescription>{strip_declaration(dc)}</setDescription>" if dc else ""
        parts.append(
            f"<set>{element('setSpec', collection.slug)}{element('setName', collection.title)}{described}</set>\n"
        )
    parts.append("</ListSets>\n")
    return parts


def get_record(ctx: OAIContext, request: OAIRequest, now: datetime) -> Iterable[str]:
    assert request.identifier is not None and request.metadata_prefix is not None
    fmt = metadata_format(request.metadata_prefix)
    item = _item(ctx, request.identifier, now)
    if not item.deleted and fmt.column not in item.records:
        raise OAIError("cannotDisseminateFormat", f"this item is not available as {fmt.prefix}")
    row = RecordRow(item.id, item.datestamp, item.collection, item.deleted, item.records.get(fmt.column))
    return ["<GetRecord>\n", ctx.writer.record(row), "</GetRecord>\n"]


def metadata_format(prefix: str) -> MetadataFormat:
    fmt = FORMATS.get(prefix)
    if fmt is None:
        raise OAIError("cannotDisseminateFormat", f"this repository does not disseminate {prefix}")
    return fmt


def _item(ctx: OAIContext, identifier: str, now: datetime) -> StoredItem:
    prefix = ctx.writer.identifier_prefix
    item_id = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
    item = queries.disseminated_item(ctx.db, item_id, format_datestamp(now)) if item_id else None
    if item is None:
        raise OAIError("idDoesNotExist", "this repository has no item with that identifier")
    return item

"""The OpenAPI 3.1 document, made from the operation table and the models' JSON Schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api.models import Error
from app.api.operations import Operation
from repo.version import __version__

JsonDict = dict[str, Any]
REF = "#/components/schemas/{model}"

_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "No token, or a token that is unknown, revoked or malformed",
    403: "The token's role is too weak for this operation",
    404: "Not found",
    409: "Conflicts with the current state (exists already, withdrawn, purged...)",
    410: "Withdrawn",
    413: "The request body is larger than the limit",
    415: "Unsupported request body type",
    422: "Invalid request: every field at fault is named",
}


def openapi_document(operations: list[Operation]) -> JsonDict:
    bodies = {op.body for op in operations if op.body is not None}
    answers = {op.answer for op in operations} | {Error}
    keyed = [(m, "validation") for m in sorted(bodies, key=_name)] + [
        (m, "serialization") for m in sorted(answers, key=_name)
    ]
    _, top = models_json_schema(keyed, ref_template=REF)  # type: ignore[arg-type]
    paths: JsonDict = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Muniment admin API",
            "version": __version__,
            "description": "Collections, items, ingest jobs, fixity reports and the audit log. Writes need a "
            "bearer token (`muniment token create`): reader < curator < admin. Every error has one shape: "
            '`{"error": {"status", "message", "details"}}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "a token from `muniment token`"}
            },
        },
    }


def _name(model: type[BaseModel]) -> str:
    return model.__name__


def _ref(model: type[BaseModel]) -> JsonDict:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(op: Operation) -> JsonDict:
    out: JsonDict = {"operationId": op.id, "summary": op.summary}
    if op.role is not None:
        out["security"] = [{"bearerAuth": []}]
        out["x-muniment-role"] = op.role.value
    else:
        out["security"] = [{}, {"bearerAuth": []}]  # anyone; a token may show more
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{pattern}$"}}
        for name, pattern in op.params.items()
    ]
    parameters += [
        {
            "name": name,
            "in": "header",
            "required": False,
            "description": meaning,
            "schema": {
                "type": "string",
                **({"pattern": op.header_patterns[name]} if name in op.header_patterns else {}),
            },
        }
        for name, meaning in op.request_headers.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(op.body)}}}
    elif op.upload:
        binary = {"schema": {"type": "string", "format": "binary", "minLength": 1}}
        out["requestBody"] = {"required": True, "content": {media: binary for media in op.upload}}
    responses: JsonDict = {str(op.status): _answer(op)}
    for status in _error_statuses(op):
        responses[str(status)] = _error(_DESCRIPTIONS[status])
    responses["default"] = _error("Any other error, in the same shape")
    out["responses"] = responses
    return out


def _answer(op: Operation) -> JsonDict:
    answer: JsonDict = {"description": op.summary, "content": {"application/json": {"schema": _ref(op.answer)}}}
    headers: JsonDict = {
        name: {"description": what, "schema": {"type": "string"}} for name, what in op.answer_headers.items()
    }
    if op.status in (201, 202):
        headers["Location"] = {"required": True, "schema": {"type": "string"}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str) -> JsonDict:
    return {"description": description, "content": {"application/json": {"schema": _ref(Error)}}}


def _error_statuses(op: Operation) -> list[int]:
    statuses = {401, *op.errors}  # any request may carry a bad token
    if op.role is not None:
        statuses.add(403)
    if op.params:
        statuses.add(404)
    if op.query is not None or op.body is not None:
        statuses.add(422)
    if op.body is not None:
        statuses |= {400, 413, 415}
    return sorted(statuses)


def _query_parameters(model: type[BaseModel]) -> list[JsonDict]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        # An omitted parameter is None: the null branch would read as the text "null", so it goes.
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        if prop.get("default", 0) is None:
            del prop["default"]
        prop.pop("title", None)
        parameters.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return parameters

"""Which methods a path answers, for the ``Allow`` header every 405 carries (RFC 9110, 15.5.6).

Starlette names only the methods of the first route whose path matched, yet several routes may
share a path (an operation per method, a CORS preflight beside a GET), so the header is made from
every route that matches, looking inside mounts.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Iterable[BaseRoute], scope: MutableMapping[str, Any]) -> list[str]:
    allowed: set[str] = set()
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = route.routes
            # A mount without routes (static files) answers GET and HEAD.
            allowed.update(allowed_methods(inner, {**scope, **child}) if inner else ("GET", "HEAD"))
        elif isinstance(route, Route):
            allowed.update(route.methods or ORDER)
    return sorted(allowed, key=lambda m: ORDER.index(m) if m in ORDER else len(ORDER))

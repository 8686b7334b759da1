"""The route providers mounted by ``create_app``, in order (the public pages come last: they own ``/``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute

from repo.services import Services

Provider = Callable[[Services], list[BaseRoute]]

PROVIDERS: list[Provider] = []

"""Preservation errors (an object or version not found, a fixity failure...) as one-line command errors."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

from repo.errors import MunimentError
from repo.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def reported(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def run(args: argparse.Namespace, settings: Settings) -> int:
        from repo.preservation import PreservationError

        try:
            return handler(args, settings)
        except PreservationError as exc:
            raise MunimentError(str(exc)) from None

    return run

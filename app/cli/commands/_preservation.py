"""What the preservation commands share: the services opened and closed around them, and their
errors (an object or version not found, a fixity failure...) as one-line command errors."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from repo.errors import MunimentError
from repo.settings import Settings

if TYPE_CHECKING:
    from repo.audit import Preservation

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


@contextmanager
def opened_preservation(settings: Settings) -> Iterator[Preservation]:
    """Storage, replica and catalog opened for one command, closed however it ends."""
    from repo.audit import Preservation
    from repo.services import Services

    services = Services.open(settings)
    try:
        services.check()  # storage out of reach is one line naming the setting, not an empty run
    except BaseException:
        services.close()
        raise
    preservation = Preservation(services)
    try:
        yield preservation
    finally:
        preservation.close()
        services.close()

"""What the preservation commands share: the services opened, checked and closed around them.
(Their errors, preservation ones included, are MunimentErrors: the command line prints one line.)"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from repo.settings import Settings

if TYPE_CHECKING:
    from repo.audit import Preservation

Handler = Callable[[argparse.Namespace, Settings], int]


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

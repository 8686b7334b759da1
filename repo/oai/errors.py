"""OAI-PMH protocol errors: answered as HTTP 200 with an ``<error code=...>`` element."""

from __future__ import annotations

from typing import Literal

from repo.errors import MunimentError

ErrorCode = Literal[
    "badArgument",
    "badResumptionToken",
    "badVerb",
    "cannotDisseminateFormat",
    "idDoesNotExist",
    "noRecordsMatch",
    "noMetadataFormats",
    "noSetHierarchy",
]

# For these two the specification forbids echoing the arguments in <request>.
UNECHOED: frozenset[ErrorCode] = frozenset({"badVerb", "badArgument"})


class OAIError(MunimentError):
    """One OAI-PMH error condition; never leaves ``repo.oai`` as an HTTP error."""

    status = 200

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code

    @property
    def echoes_arguments(self) -> bool:
        return self.code not in UNECHOED

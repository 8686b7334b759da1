"""The arguments of one OAI-PMH request, checked against the rules of its verb.

Order of the checks follows the specification's error precedence: the verb first (badVerb),
then repeated, unknown, exclusive and missing arguments and illegal values (badArgument).
Only arguments that passed every syntax check are ever echoed back in ``<request>``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from repo.oai.datestamps import DateArgument, check_range, parse_date_argument
from repo.oai.errors import OAIError
from repo.oai.sets import is_set_spec

_LIST_ARGUMENTS = frozenset({"metadataPrefix", "from", "until", "set", "resumptionToken"})
ALLOWED: dict[str, frozenset[str]] = {
    "Identify": frozenset(),
    "ListMetadataFormats": frozenset({"identifier"}),
    "ListSets": frozenset({"resumptionToken"}),
    "GetRecord": frozenset({"identifier", "metadataPrefix"}),
    "ListIdentifiers": _LIST_ARGUMENTS,
    "ListRecords": _LIST_ARGUMENTS,
}
REQUIRED: dict[str, frozenset[str]] = {
    "GetRecord": frozenset({"identifier", "metadataPrefix"}),
    "ListIdentifiers": frozenset({"metadataPrefix"}),
    "ListRecords": frozenset({"metadataPrefix"}),
}
EXCLUSIVE = "resumptionToken"

# The OAI-PMH schema's metadataPrefixType.
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
# A URI: scheme, colon, no whitespace or characters RFC 3986 never allows, well-formed escapes.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[^\s<>\"{}|\\^`%]|%[0-9A-Fa-f]{2})+")
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_VALUE_LENGTH = 2048


@dataclass(frozen=True)
class OAIRequest:
    verb: str
    arguments: dict[str, str]  # every argument but the verb, as received: echoed in <request>
    identifier: str | None = None
    metadata_prefix: str | None = None
    from_: DateArgument | None = None
    until: DateArgument | None = None
    set_spec: str | None = None
    resumption_token: str | None = None


def parse_arguments(pairs: Sequence[tuple[str, str]]) -> OAIRequest:
    counts = Counter(name for name, _ in pairs)
    verbs = [value for name, value in pairs if name == "verb"]
    if len(verbs) != 1 or verbs[0] not in ALLOWED:
        problem = "missing" if not verbs else "repeated" if len(verbs) > 1 else "not an OAI-PMH verb"
        raise OAIError("badVerb", f"the verb argument is {problem}")
    verb = verbs[0]
    arguments = {name: value for name, value in pairs if name != "verb"}
    repeated = sorted(name for name, n in counts.items() if n > 1)
    if repeated:
        raise OAIError("badArgument", f"repeated argument {_shown(repeated[0])}")
    unknown = sorted(set(arguments) - ALLOWED[verb])
    if unknown:
        raise OAIError("badArgument", f"{verb} does not take the argument {_shown(unknown[0])}")
    if EXCLUSIVE in arguments and len(arguments) > 1:
        raise OAIError("badArgument", "resumptionToken is an exclusive argument: send it alone with the verb")
    if EXCLUSIVE not in arguments:
        missing = sorted(REQUIRED.get(verb, frozenset()) - set(arguments))
        if missing:
            raise OAIError("badArgument", f"{verb} requires the argument {missing[0]}")
    for name, value in arguments.items():
        if not value:
            raise OAIError("badArgument", f"{name} is empty")
        if len(value) > MAX_VALUE_LENGTH or _NOT_XML.search(value):
            raise OAIError("badArgument", f"{name} has an illegal value")
    return _typed(verb, arguments)


def _typed(verb: str, arguments: dict[str, str]) -> OAIRequest:
    identifier = arguments.get("identifier")
    if identifier is not None and not _URI.fullmatch(identifier):
        raise OAIError("badArgument", "identifier is not a URI")
    prefix = arguments.get("metadataPrefix")
    if prefix is not None and not _PREFIX.fullmatch(prefix):
        raise OAIError("badArgument", "metadataPrefix has characters a metadata prefix cannot have")
    set_spec = arguments.get("set")
    if set_spec is not None and not is_set_spec(set_spec):
        raise OAIError("badArgument", "set is not a legal setSpec")
    from_ = parse_date_argument("from", arguments["from"]) if "from" in arguments else None
    until = parse_date_argument("until", arguments["until"]) if "until" in arguments else None
    check_range(from_, until)
    return OAIRequest(verb, arguments, identifier, prefix, from_, until, set_spec, arguments.get(EXCLUSIVE))


def _shown(name: str) -> str:
    """An argument name for an error message: short and printable."""
    return repr(_NOT_XML.sub("\ufffd", name[:40]))

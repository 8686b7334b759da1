"""Rights URIs that viewers understand: Creative Commons and RightsStatements.org.

IIIF Presentation 3 ``rights`` accepts only these, in their canonical ``http://`` form
with a trailing slash, so we find such a URI in free text and normalize it. A value that
names either site must name one of its real statements (``rights_problem``): the 12
RightsStatements.org statements (version 1.0), the six Creative Commons licences (versions
1.0 to 4.0, 2.x and 3.0 ported to a jurisdiction too), CC0 and the Public Domain Mark.
Free text without such a URI is a rights statement as written.
"""

from __future__ import annotations

import re

_URI = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(creativecommons\.org/(?:licenses|publicdomain)/[A-Za-z0-9.+_/-]+"
    r"|rightsstatements\.org/(?:vocab|page)/[A-Za-z0-9.+_/-]+)",
    re.IGNORECASE,
)
# Pages about a licence rather than the licence itself: .../legalcode, .../deed.fr
_CC_TAIL = re.compile(r"/(?:legalcode(?:\.[a-z-]+)?|deed(?:\.[a-z-]+)?)$", re.IGNORECASE)


def rights_uri(text: str | None) -> str | None:
    """The canonical CC or RightsStatements.org URI mentioned in ``text``, else None."""
    if not text:
        return None
    m = _URI.search(text)
    if m is None:
        return None
    path = m[1].rstrip("/.")
    host, _, rest = path.partition("/")
    host = host.lower()
    if host == "creativecommons.org":
        rest = _CC_TAIL.sub("", "/" + rest).lstrip("/")
    else:
        # The statement pages live under /page/, the statements themselves under /vocab/.
        kind, _, statement = rest.partition("/")
        rest = "vocab/" + statement if kind.lower() in ("vocab", "page") else rest
    return f"http://{host}/{rest.rstrip('/')}/"


RIGHTS_STATEMENTS = {
    "InC": "In Copyright",
    "InC-OW-EU": "In Copyright - EU Orphan Work",
    "InC-EDU": "In Copyright - Educational Use Permitted",
    "InC-NC": "In Copyright - Non-Commercial Use Permitted",
    "InC-RUU": "In Copyright - Rights-holder(s) Unlocatable or Unidentifiable",
    "NoC-CR": "No Copyright - Contractual Restrictions",
    "NoC-NC": "No Copyright - Non-Commercial Use Only",
    "NoC-OKLR": "No Copyright - Other Known Legal Restrictions",
    "NoC-US": "No Copyright - United States",
    "CNE": "Copyright Not Evaluated",
    "UND": "Copyright Undetermined",
    "NKC": "No Known Copyright",
}
CC_LICENCES = {
    "by": "Attribution",
    "by-sa": "Attribution-ShareAlike",
    "by-nd": "Attribution-NoDerivatives",
    "by-nc": "Attribution-NonCommercial",
    "by-nc-sa": "Attribution-NonCommercial-ShareAlike",
    "by-nc-nd": "Attribution-NonCommercial-NoDerivatives",
}
_CC_VERSIONS = ("1.0", "2.0", "2.5", "3.0", "4.0")
_CC_PUBLIC_DOMAIN = {"zero/1.0": "CC0 1.0 Universal (public domain dedication)", "mark/1.0": "Public Domain Mark 1.0"}
# An address on either site, in any text: "see creativecommons.org" alone is free text.
_SITE_URI = re.compile(r"(?:https?://)?(?:www\.)?(?:creativecommons|rightsstatements)\.org/[^\s\"'<>]+", re.IGNORECASE)
_JURISDICTION = re.compile(r"[a-z]{2}(?:-[a-z]{2})?")


def rights_choices() -> list[tuple[str, str]]:
    """(URI, label) of the current statements, for an editor to offer: RightsStatements.org,
    then Creative Commons 4.0 and the public domain tools."""
    choices = [(f"http://rightsstatements.org/vocab/{code}/1.0/", label) for code, label in RIGHTS_STATEMENTS.items()]
    choices += [
        (f"http://creativecommons.org/licenses/{c}/4.0/", f"CC {c.upper()} 4.0 ({label})")
        for c, label in CC_LICENCES.items()
    ]
    choices += [
        (f"http://creativecommons.org/publicdomain/{path}/", label) for path, label in _CC_PUBLIC_DOMAIN.items()
    ]
    return choices


def rights_problem(text: str) -> str | None:
    """Why ``text`` names a Creative Commons or RightsStatements.org URI that does not exist;
    None when it names a real one or neither site (free text)."""
    named = _SITE_URI.search(text)
    if named is None:
        return None
    uri = rights_uri(text)
    if uri is not None and _known(uri):
        return None
    what = named[0]
    return (
        f"{what!r} is not a RightsStatements.org statement (http://rightsstatements.org/vocab/InC/1.0/ ...) "
        "or a Creative Commons licence (http://creativecommons.org/licenses/by/4.0/ ...)"
    )


def _known(uri: str) -> bool:
    host, _, path = uri.removeprefix("http://").partition("/")
    parts = path.rstrip("/").split("/")
    if host == "rightsstatements.org":
        return len(parts) == 3 and parts[0] == "vocab" and parts[1] in RIGHTS_STATEMENTS and parts[2] == "1.0"
    if parts[0] == "publicdomain":
        return "/".join(parts[1:]) in _CC_PUBLIC_DOMAIN
    if parts[0] != "licenses" or len(parts) not in (3, 4) or parts[1] not in CC_LICENCES:
        return False
    version = parts[2]
    if len(parts) == 4:  # a port: 2.0 to 3.0 only (4.0 is international)
        return version in ("2.0", "2.5", "3.0") and _JURISDICTION.fullmatch(parts[3]) is not None
    return version in _CC_VERSIONS

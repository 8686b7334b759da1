"""Rights URIs that viewers understand: Creative Commons and RightsStatements.org.

IIIF Presentation 3 ``rights`` accepts only these, in their canonical ``http://`` form
with a trailing slash, so we find such a URI in free text and normalize it.
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

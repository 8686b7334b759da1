"""OAI-PMH response XML, written as strings: the per-record path must stay cheap.

Everything that did not come from our own catalog's stored XML goes through ``text`` or
``attribute``; stored records (already serialized, schema-valid) are embedded as they are,
less their XML declaration.
"""

from __future__ import annotations

from collections.abc import Mapping

from repo.metadata.namespaces import XSI
from repo.oai.queries import RecordRow
from repo.oai.sets import is_set_spec

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA_LOCATION = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
ENVELOPE_END = "</OAI-PMH>\n"


def text(value: str) -> str:
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def attribute(value: str) -> str:
    # Tabs and line ends as references: a parser would otherwise turn them into spaces.
    return text(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def element(name: str, value: str) -> str:
    return f"<{name}>{text(value)}</{name}>"


def envelope_start(response_date: str, base_url: str, arguments: Mapping[str, str] | None) -> str:
    """The XML declaration, the root element, responseDate and request (attributes only if given)."""
    attrs = "".join(f' {name}="{attribute(value)}"' for name, value in (arguments or {}).items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI}" xmlns:xsi="{XSI}" xsi:schemaLocation="{OAI} {OAI_SCHEMA_LOCATION}">\n'
        f"<responseDate>{response_date}</responseDate>\n"
        f"<request{attrs}>{text(base_url)}</request>\n"
    )


def error(code: str, message: str) -> str:
    return f'<error code="{code}">{text(message)}</error>\n'


def strip_declaration(xml: str) -> str:
    """The stored document without its BOM, XML declaration or leading blank space."""
    xml = xml.lstrip("\ufeff \t\r\n")
    if xml.startswith("<?xml"):
        xml = xml[xml.index("?>") + 2 :].lstrip(" \t\r\n")
    return xml


class RecordWriter:
    """Headers and records of one repository (its identifier prefix computed once)."""

    def __init__(self, repository_identifier: str) -> None:
        self.identifier_prefix = f"oai:{repository_identifier}:"
        self._prefix_text = text(self.identifier_prefix)

    def header(self, row: RecordRow) -> str:
        status = ' status="deleted"' if row.deleted else ""
        spec = f"<setSpec>{row.collection}</setSpec>" if is_set_spec(row.collection) else ""
        return (
            f"<header{status}><identifier>{self._prefix_text}{text(row.id)}</identifier>"
            f"<datestamp>{row.datestamp}</datestamp>{spec}</header>\n"
        )

    def record(self, row: RecordRow) -> str:
        if row.deleted or row.xml is None:
            return f"<record>{self.header(row)}</record>\n"
        return f"<record>{self.header(row)}<metadata>{strip_declaration(row.xml)}</metadata></record>\n"


def resumption_token(token: str, *, cursor: int, complete_list_size: int | None, expiration: str | None) -> str:
    size = f' completeListSize="{complete_list_size}"' if complete_list_size is not None else ""
    expires = f' expirationDate="{expiration}"' if expiration else ""
    return f'<resumptionToken{size} cursor="{cursor}"{expires}>{token}</resumptionToken>\n'

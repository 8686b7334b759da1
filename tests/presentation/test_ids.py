"""The image identifier convention and the URLs the Presentation API writes."""

from __future__ import annotations

import pytest

from iiif.presentation.ids import Urls, image_identifier, parse_image_identifier


@pytest.mark.parametrize(("item_id", "seq"), [("i1", 1), ("letters-0042", 12), ("a~b", 3), ("x", 2000)])
def test_image_identifier_round_trips(item_id: str, seq: int) -> None:
    identifier = image_identifier(item_id, seq)
    assert identifier == f"{item_id}~{seq}"
    assert parse_image_identifier(identifier) == (item_id, seq)


@pytest.mark.parametrize("bad", ["i1", "i1~", "~3", "i1~x", "i1~-1", "i1~01", ""])
def test_parse_refuses_what_it_did_not_make(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_image_identifier(bad)


def test_urls_are_absolute_and_one_segment_per_id() -> None:
    urls = Urls("https://repo.example.org/")
    assert urls.manifest("i1") == "https://repo.example.org/iiif/i1/manifest"
    assert urls.image_service("i1", 2) == "https://repo.example.org/iiif/3/i1~2"
    assert urls.image("i1", 2, "!200,200") == "https://repo.example.org/iiif/3/i1~2/full/!200,200/0/default.jpg"
    assert urls.manifest("a/b c") == "https://repo.example.org/iiif/a%2Fb%20c/manifest"
    assert urls.home == "https://repo.example.org/"

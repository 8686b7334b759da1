from __future__ import annotations

import json

import pytest
from rdflib import DCTERMS, Graph, Literal, URIRef
from rdflib.namespace import DC

from repo.metadata.rdf import dc_graph, dc_jsonld, dc_turtle

ITEM = "https://archive.example.org/items/42"
DC_VALUES = {
    "title": ["Letter"],
    "creator": ["Whitby, Margaret"],
    "rights": ["https://creativecommons.org/licenses/by/4.0/"],
}


def test_graph_holds_dc_and_licence() -> None:
    graph = dc_graph(ITEM, DC_VALUES, language="en")
    item = URIRef(ITEM)
    assert (item, DC.title, Literal("Letter", lang="en")) in graph
    assert (item, DC.creator, Literal("Whitby, Margaret")) in graph
    assert (item, DCTERMS.license, URIRef("http://creativecommons.org/licenses/by/4.0/")) in graph


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own JSON-LD parser
def test_turtle_and_jsonld_parse_back_to_the_same_graph() -> None:
    expected = dc_graph(ITEM, DC_VALUES)
    from_turtle = Graph().parse(data=dc_turtle(ITEM, DC_VALUES), format="turtle")
    document = dc_jsonld(ITEM, DC_VALUES)
    assert json.loads(document)["@id"] == ITEM
    from_jsonld = Graph().parse(data=document, format="json-ld")
    assert set(from_turtle) == set(expected) == set(from_jsonld)

"""An item's Dublin Core as RDF (Turtle, JSON-LD), for linked-data consumers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rdflib import DC, DCTERMS, Graph, Literal, URIRef

from repo.metadata.dublin_core import canonical
from repo.metadata.rights import rights_uri


def dc_graph(item_uri: str, dc: Mapping[str, Sequence[str]], language: str | None = None) -> Graph:
    """Triples ``<item> dc:element "value"``; a licence URI also as ``dcterms:license``."""
    graph = Graph()
    graph.bind("dc", DC)
    graph.bind("dcterms", DCTERMS)
    subject = URIRef(item_uri)
    # Language-tag only the free-text elements; names, dates and identifiers have no language.
    tagged = {"title", "subject", "description", "coverage", "rights"}
    for name, values in canonical(dc).items():
        for value in values:
            graph.add((subject, DC[name], Literal(value, lang=language if name in tagged else None)))
            if name == "rights" and (uri := rights_uri(value)) is not None:
                graph.add((subject, DCTERMS.license, URIRef(uri)))
    return graph


def dc_turtle(item_uri: str, dc: Mapping[str, Sequence[str]], language: str | None = None) -> str:
    return dc_graph(item_uri, dc, language).serialize(format="turtle")


def dc_jsonld(item_uri: str, dc: Mapping[str, Sequence[str]], language: str | None = None) -> str:
    context = {"dc": str(DC), "dcterms": str(DCTERMS)}
    return dc_graph(item_uri, dc, language).serialize(format="json-ld", context=context, indent=2)

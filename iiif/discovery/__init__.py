"""IIIF Change Discovery API 1.0: the public changes to manifests and collections, as an
Activity Streams ordered collection of pages (``repo.catalog.changes`` keeps the record)."""

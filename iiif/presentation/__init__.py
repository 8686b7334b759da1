"""IIIF Presentation API 3.0: manifests and collections built from catalog records."""

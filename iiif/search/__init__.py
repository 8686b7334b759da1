"""IIIF Content Search 1.0 and 2.0 (with autocomplete) and each page's text, from the page-text index."""

"""Page text: OCR with Tesseract (``engine``), ALTO and hOCR (``page_text``), the record's
languages as Tesseract's (``languages``), and an item's OCR kept in its OCFL object (``service``)."""

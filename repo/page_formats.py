"""The page image formats Muniment accepts, by file suffix, with their media types."""

IMAGE_SUFFIXES = {
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".jp2": "image/jp2",
    ".j2k": "image/jp2",
}

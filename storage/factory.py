"""Build a Storage from a URL-like location: a folder path, ``file:///...`` or ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from storage.base import Storage
from storage.filesystem import FilesystemStorage


def open_storage(
    location: str,
    *,
    s3_endpoint: str | None = None,
    s3_region: str = "us-east-1",
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
    s3_attempts: int | None = None,
    s3_connect_timeout: float | None = None,
) -> Storage:
    """``s3_attempts`` and ``s3_connect_timeout``: storage.s3's defaults when not given."""
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        from storage import s3

        bucket = s3.S3Location(
            bucket=parsed.netloc,
            prefix=parsed.path.strip("/"),
            endpoint_url=s3_endpoint,
            region=s3_region,
            access_key=s3_access_key,
            secret_key=s3_secret_key,
        )
        client = s3.make_client(
            bucket,
            attempts=s3.ATTEMPTS if s3_attempts is None else s3_attempts,
            connect_timeout=s3.CONNECT_TIMEOUT if s3_connect_timeout is None else s3_connect_timeout,
        )
        return s3.S3Storage(bucket, client=client)
    if parsed.scheme == "file":
        return FilesystemStorage(Path(parsed.path))
    if parsed.scheme in ("", None) or len(parsed.scheme) == 1:  # plain path (or a Windows drive)
        return FilesystemStorage(Path(location))
    raise ValueError(f"unsupported storage location {location!r}: use a folder path or s3://bucket")

"""S3 backend through boto3: SeaweedFS, MinIO, Ceph RGW, AWS.

Every write carries a Content-MD5 that the server verifies. Objects above one part are sent as
a multipart upload that is completed only after every part succeeded and the sha512 matched,
and aborted otherwise, so the final key never holds a partial object.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from storage.base import HashingReader, ObjectInfo, Storage, check_expected, validate_key, validate_prefix
from storage.errors import ChecksumMismatch, NotFound, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART_SIZE = 8 * 1024 * 1024
MAX_COPY_SIZE = 5 * 1024**3
_SHA_META = "sha512"
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}
_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    prefix: str = ""  # optional key prefix inside the bucket


def make_client(location: S3Location, *, max_attempts: int = 5, timeout: float = 30) -> S3Client:
    config = Config(
        # boto3 >= 1.36 adds CRC checksums to every request by default; several S3-compatible
        # stores reject or ignore them. We send Content-MD5 ourselves, which all of them verify.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": max_attempts, "mode": "standard"},
        connect_timeout=min(timeout, 10),
        read_timeout=timeout,
        max_pool_connections=32,
        s3={"addressing_style": "path"},
        signature_version="s3v4",
    )
    client: S3Client = boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key,
        aws_secret_access_key=location.secret_key,
        config=config,
    )
    return client


class S3Storage(Storage):
    def __init__(
        self,
        location: S3Location,
        *,
        client: S3Client | None = None,
        part_size: int = PART_SIZE,
        upload_threads: int = 6,
    ) -> None:
        self._loc = location
        self._client = client or make_client(location)
        self._part_size = part_size
        self._threads = upload_threads
        endpoint = location.endpoint_url or "AWS"
        self.location = f"s3://{location.bucket}/{location.prefix} at {endpoint}".replace("/ at", " at")

    # -- helpers -------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        validate_key(key)
        return f"{self._loc.prefix.rstrip('/')}/{key}" if self._loc.prefix else key

    def _strip(self, full_key: str) -> str:
        if self._loc.prefix:
            return full_key[len(self._loc.prefix.rstrip("/")) + 1 :]
        return full_key

    def _translate(self, exc: Exception, key: str = "") -> StorageError:
        """Turn a boto3/botocore error into one of ours, naming the endpoint or bucket."""
        endpoint = self._loc.endpoint_url or "AWS S3"
        if isinstance(exc, bce.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _NOT_FOUND_CODES:
                return NotFound(key, self.location)
            if code == "NoSuchBucket":
                return StorageUnavailable(f"bucket {self._loc.bucket!r} does not exist at {endpoint}")
            if code in _AUTH_CODES:
                return StorageUnavailable(
                    f"S3 at {endpoint} refused the credentials for bucket {self._loc.bucket!r} ({code})"
                )
            if code == "BadDigest":
                return StorageError(f"S3 at {endpoint} rejected {key!r}: the bytes arrived corrupted")
            return StorageError(f"S3 error {code} for {key!r} at {endpoint}")
        if isinstance(exc, bce.NoCredentialsError):
            return StorageUnavailable(f"no S3 credentials configured for {endpoint}")
        if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectionError, bce.HTTPClientError)):
            return StorageUnavailable(f"cannot reach S3 endpoint {endpoint}: {exc}")
        return StorageError(f"S3 request for {key!r} at {endpoint} failed: {exc}")

    def _call(self, key: str, fn: Any, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except (bce.BotoCoreError, bce.ClientError) as exc:
            raise self._translate(exc, key) from None

    def check(self) -> None:
        try:
            self._call("", self._client.head_bucket, Bucket=self._loc.bucket)
        except NotFound:  # HEAD answers a bare 404 with no error code for a missing bucket
            endpoint = self._loc.endpoint_url or "AWS S3"
            raise StorageUnavailable(f"bucket {self._loc.bucket!r} does not exist at {endpoint}") from None

    # -- writes ----------------------------------------------------------------------------

    def put(self, key: str, stream: BinaryIO, *, sha512: str | None = None) -> ObjectInfo:
        full = self._key(key)
        reader = HashingReader(stream)
        first = _read_full(reader, self._part_size)
        if len(first) < self._part_size:
            # Fits in one request: a single PUT is already atomic.
            digest = reader.sha512.hexdigest()
            check_expected(key, digest, sha512)
            self._call(
                key,
                self._client.put_object,
                Bucket=self._loc.bucket,
                Key=full,
                Body=first,
                ContentMD5=_md5_b64(first),
                Metadata={_SHA_META: digest},
            )
            return self._info_after_put(key, digest)
        return self._put_multipart(key, full, reader, first, sha512)

    def _info_after_put(self, key: str, digest: str | None) -> ObjectInfo:
        info = self.head(key)
        return ObjectInfo(info.key, info.size, info.modified, digest or info.sha512)

    def _put_multipart(
        self, key: str, full: str, reader: HashingReader, first: bytes, sha512: str | None
    ) -> ObjectInfo:
        # The digest goes into metadata only when the caller told it in advance: metadata is
        # fixed when the upload is created, before the bytes have been read.
        metadata = {_SHA_META: sha512.lower()} if sha512 else {}
        created = self._call(
            key, self._client.create_multipart_upload, Bucket=self._loc.bucket, Key=full, Metadata=metadata
        )
        upload_id = created["UploadId"]
        try:
            parts = self._upload_parts(key, full, upload_id, reader, first)
            digest = reader.sha512.hexdigest()
            check_expected(key, digest, sha512)
            self._call(
                key,
                self._client.complete_multipart_upload,
                Bucket=self._loc.bucket,
                Key=full,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException as exc:
            self._abort(full, upload_id)
            if isinstance(exc, (StorageError, ChecksumMismatch)):
                if isinstance(exc, StorageUnavailable):
                    raise StorageUnavailable(f"upload of {key!r} failed, nothing was stored: {exc}") from None
                raise
            if isinstance(exc, (bce.BotoCoreError, bce.ClientError)):
                raise self._translate(exc, key) from None
            raise
        return self._info_after_put(key, digest)

    def _upload_parts(
        self, key: str, full: str, upload_id: str, reader: HashingReader, first: bytes
    ) -> list[dict[str, Any]]:
        """Send parts from a bounded pool: at most ``threads + 1`` parts are held in memory."""
        parts: list[dict[str, Any]] = []
        pending: deque[Future[dict[str, Any]]] = deque()
        failed = threading.Event()

        def send(number: int, data: bytes) -> dict[str, Any]:
            if failed.is_set():
                raise StorageError("upload cancelled after an earlier part failed")
            try:
                response = self._client.upload_part(
                    Bucket=self._loc.bucket,
                    Key=full,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=data,
                    ContentMD5=_md5_b64(data),
                )
            except (bce.BotoCoreError, bce.ClientError) as exc:
                failed.set()
                raise self._translate(exc, key) from None
            return {"PartNumber": number, "ETag": response["ETag"]}

        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            number, data = 1, first
            while data:
                pending.append(pool.submit(send, number, data))
                while len(pending) > self._threads:
                    parts.append(pending.popleft().result())
                number += 1
                data = _read_full(reader, self._part_size)
            while pending:
                parts.append(pending.popleft().result())
        return parts

    def _abort(self, full: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self._loc.bucket, Key=full, UploadId=upload_id)
        except (bce.BotoCoreError, bce.ClientError):
            pass  # the server is gone; an incomplete upload never becomes visible under the key

    # -- reads -----------------------------------------------------------------------------

    def open(self, key: str, start: int = 0, end: int | None = None) -> BinaryIO:
        kwargs: dict[str, Any] = {"Bucket": self._loc.bucket, "Key": self._key(key)}
        if start or end is not None:
            if end is not None and end <= start:
                return io.BytesIO(b"")
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            response = self._client.get_object(**kwargs)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return io.BytesIO(b"")  # a range starting at or past the end: no bytes
            raise self._translate(exc, key) from None
        except bce.BotoCoreError as exc:
            raise self._translate(exc, key) from None
        return cast(BinaryIO, _BodyReader(response["Body"], self, key))

    def head(self, key: str) -> ObjectInfo:
        response = self._call(key, self._client.head_object, Bucket=self._loc.bucket, Key=self._key(key))
        modified: datetime = response["LastModified"]
        sha = response.get("Metadata", {}).get(_SHA_META)
        return ObjectInfo(key, int(response["ContentLength"]), modified, sha)

    def list_page(self, prefix: str = "", *, start_after: str = "", limit: int = 1000) -> list[str]:
        validate_prefix(prefix)
        base = self._loc.prefix.rstrip("/") + "/" if self._loc.prefix else ""
        kwargs: dict[str, Any] = {
            "Bucket": self._loc.bucket,
            "Prefix": base + prefix,
            "MaxKeys": min(limit, 1000),
        }
        if start_after:
            kwargs["StartAfter"] = self._key(start_after)
        keys: list[str] = []
        while len(keys) < limit:
            response = self._call(prefix, self._client.list_objects_v2, **kwargs)
            keys.extend(self._strip(obj["Key"]) for obj in response.get("Contents", []))
            if not response.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = response["NextContinuationToken"]
            kwargs["MaxKeys"] = min(limit - len(keys), 1000)
        return sorted(keys)[:limit]

    def copy(self, source: str, dest: str) -> ObjectInfo:
        info = self.head(source)
        if info.size > MAX_COPY_SIZE:
            with self.open(source) as stream:
                return self.put(dest, stream, sha512=info.sha512)
        self._call(
            dest,
            self._client.copy_object,
            Bucket=self._loc.bucket,
            Key=self._key(dest),
            CopySource={"Bucket": self._loc.bucket, "Key": self._key(source)},
            MetadataDirective="COPY",
        )
        return self._info_after_put(dest, info.sha512)

    def delete(self, key: str) -> None:
        self._call(key, self._client.delete_object, Bucket=self._loc.bucket, Key=self._key(key))


class _BodyReader:
    """A botocore streaming body whose errors become storage errors."""

    def __init__(self, body: Any, storage: S3Storage, key: str) -> None:
        self._body = body
        self._storage = storage
        self._key = key

    def read(self, n: int = -1) -> bytes:
        try:
            data: bytes = self._body.read(None if n < 0 else n)
        except (bce.BotoCoreError, bce.ClientError) as exc:
            raise self._storage._translate(exc, self._key) from None
        return data

    def close(self) -> None:
        self._body.close()

    def readable(self) -> bool:
        return True

    def __enter__(self) -> _BodyReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_full(reader: HashingReader, size: int) -> bytes:
    """Read exactly ``size`` bytes unless the stream ends first (streams may return short reads)."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = reader.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()

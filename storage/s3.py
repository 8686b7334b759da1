"""S3 backend through boto3: SeaweedFS, MinIO, Ceph RGW, AWS.

Every write carries a checksum that the server verifies: CRC32 where the server is seen to check
it (see ``_part_algorithm``), else Content-MD5. Objects above one part are sent as
a multipart upload that is completed only after every part succeeded and the sha512 matched,
and aborted otherwise, so the final key never holds a partial object.
"""

from __future__ import annotations

import base64
import hashlib
import io
import mimetypes
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO

import boto3
import botocore.exceptions as bce
from botocore.config import Config

from storage.base import (
    HashingReader,
    ObjectInfo,
    PartDigests,
    PendingPut,
    Storage,
    check_expected,
    digest_parts,
    part_checksum,
    validate_key,
    validate_prefix,
)
from storage.errors import AlreadyExists, ChecksumMismatch, NotFound, StorageError, StorageUnavailable
from storage.s3_get import GetClient

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PART_SIZE = 8 * 1024 * 1024
MAX_COPY_SIZE = 5 * 1024**3
_SHA_META = "sha512"
_NOT_IT = "AAAAAAAAAAAAAAAAAAAAAA=="  # not a checksum of any part: the server refuses the part
_DIGEST_ERRORS = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "InvalidChecksum"}
_NOT_FOUND_CODES = {"404", "NoSuchKey", "NotFound"}
_IF_ABSENT = {"IfNoneMatch": "*"}  # conditional write: refused (412) when the key exists
_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403"}


@dataclass(frozen=True)
class S3Location:
    bucket: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    prefix: str = ""  # optional key prefix inside the bucket


# How long one S3 request may keep a caller waiting, a deliberate choice: a connection refused or
# reset, a 5xx or a throttling answer is tried ATTEMPTS times in all (botocore's backoff between
# them: at most 1 s, then 2 s), enough for a blip; a longer outage fails the request, and a queued
# task's own retry (MUNIMENT_QUEUE_ATTEMPTS, waits doubling from MUNIMENT_QUEUE_RETRY_SECONDS)
# waits it out. botocore's own default of 5 retries made a mistyped endpoint a half-minute wait.
ATTEMPTS = 3
CONNECT_TIMEOUT = 5.0  # seconds: a handshake even across an ocean takes well under one; a lost SYN is resent at 1 s
READ_TIMEOUT = 30.0


def make_client(
    location: S3Location,
    *,
    attempts: int = ATTEMPTS,
    connect_timeout: float = CONNECT_TIMEOUT,
    timeout: float = READ_TIMEOUT,
) -> S3Client:
    """``attempts`` counts every try, the first included (botocore's ``max_attempts`` counts retries)."""
    config = Config(
        # boto3 >= 1.36 adds CRC checksums to every request by default; several S3-compatible
        # stores reject or ignore them. We send Content-MD5 ourselves, which all of them verify,
        # or a CRC32 once a server has shown that it checks it (S3Storage._part_algorithm).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"total_max_attempts": max(1, attempts), "mode": "standard"},
        connect_timeout=min(connect_timeout, timeout),
        read_timeout=timeout,
        max_pool_connections=32,
        # No SHA-256 of each body for the signature (botocore does it on plain-http endpoints: a
        # pass over every byte written). The body checksum (Content-MD5 or CRC32) still makes the
        # server refuse damaged bytes; against an active attacker on the wire, use https (as for
        # reads, which S3 never signs).
        s3={"addressing_style": "path", "payload_signing_enabled": False},
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
        # Parts of one object in flight at once. Callers send several objects at a time already;
        # more parts per object only add contention (SeaweedFS burned 40% more CPU with 6).
        upload_threads: int = 2,
    ) -> None:
        self._loc = location
        self._client = client or make_client(location)
        self._client.meta.events.register(
            "before-call.s3.UploadPart", _part_content_type, unique_id="muniment-part-content-type"
        )
        self._part_size = part_size
        self._threads = upload_threads
        self._algorithm: str | None = None  # how bodies are checked: see _part_algorithm
        self._algorithm_lock = threading.Lock()
        endpoint = location.endpoint_url or "AWS"
        self.location = f"s3://{location.bucket}/{location.prefix} at {endpoint}".replace("/ at", " at")
        self._gets = GetClient(self._client, location.bucket, endpoint, self._error_for)

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
            return self._error_for(str(exc.response.get("Error", {}).get("Code", "")), key)
        if isinstance(exc, bce.NoCredentialsError):
            return StorageUnavailable(f"no S3 credentials configured for {endpoint}")
        if isinstance(exc, (bce.EndpointConnectionError, bce.ConnectionError, bce.HTTPClientError)):
            return StorageUnavailable(f"cannot reach S3 endpoint {endpoint}: {exc}")
        return StorageError(f"S3 request for {key!r} at {endpoint} failed: {exc}")

    def _error_for(self, code: str, key: str) -> StorageError:
        """Our error for an S3 error code (or the bare HTTP status of an answer without a body)."""
        endpoint = self._loc.endpoint_url or "AWS S3"
        if code in _NOT_FOUND_CODES:
            return NotFound(key, self.location)
        if code in ("PreconditionFailed", "412"):  # only our create-if-absent writes carry conditions
            return AlreadyExists(key, self.location)
        if code == "NoSuchBucket":
            return StorageUnavailable(f"bucket {self._loc.bucket!r} does not exist at {endpoint}")
        if code in _AUTH_CODES:
            return StorageUnavailable(
                f"S3 at {endpoint} refused the credentials for bucket {self._loc.bucket!r} ({code})"
            )
        if code == "BadDigest":
            return StorageError(f"S3 at {endpoint} rejected {key!r}: the bytes arrived corrupted")
        return StorageError(f"S3 error {code} for {key!r} at {endpoint}")

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

    def create_container(self) -> bool:
        try:
            self.check()
            return False
        except StorageUnavailable as exc:
            if "does not exist" not in str(exc):
                raise
        config: dict[str, Any] = {}
        if self._loc.region and self._loc.region != "us-east-1":  # AWS refuses its default region named
            config = {"CreateBucketConfiguration": {"LocationConstraint": self._loc.region}}
        try:
            self._client.create_bucket(Bucket=self._loc.bucket, **config)
        except bce.ClientError as exc:
            # Another process starting beside this one (web and workers) created it first.
            if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._translate(exc) from None
            self.check()  # a name another account holds fails here, naming the credentials
            return False
        except bce.BotoCoreError as exc:
            raise self._translate(exc) from None
        return True

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
                **self._checksum_args(first),
                Metadata={_SHA_META: digest},
                **_content_type(key),
            )
            return self._info_after_put(key, digest)
        upload_id, parts, digest = self._send_multipart(key, full, reader, first, sha512)
        self._complete(key, full, upload_id, parts)
        return self._info_after_put(key, digest)

    def create(self, key: str, data: bytes, *, sha512: str | None = None) -> ObjectInfo:
        """``If-None-Match: *`` on the one PUT (or, for an inventory larger than a part, on the
        completion of its multipart upload): S3 refuses it when the key exists."""
        digest = hashlib.sha512(data).hexdigest()
        check_expected(key, digest, sha512)
        full = self._key(key)
        if len(data) >= self._part_size:
            reader = HashingReader(io.BytesIO(data))
            first = _read_full(reader, self._part_size)
            upload_id, parts, digest = self._send_multipart(key, full, reader, first, digest)
            self._complete(key, full, upload_id, parts, exclusive=True)
            return self._info_after_put(key, digest)
        self._call(
            key,
            self._client.put_object,
            Bucket=self._loc.bucket,
            Key=full,
            Body=data,
            **self._checksum_args(data),
            Metadata={_SHA_META: digest},
            **_content_type(key),
            **_IF_ABSENT,
        )
        return self._info_after_put(key, digest)

    def put_pending(
        self,
        key: str,
        stream: BinaryIO,
        *,
        sha512: str | None,
        staging_key: str,
        parts: PartDigests | None = None,
    ) -> PendingPut:
        """A multipart upload to ``key`` itself, completed only by ``commit``.

        An upload in progress is invisible to GET, HEAD and LIST, and completing it joins the
        parts where they lie: the bytes cross the network once and are never copied (a
        server-side copy costs SeaweedFS about half a PUT). ``staging_key`` is not used; a
        crashed process's uploads are dropped by ``abort_pending``.
        """
        full = self._key(key)
        if (
            parts is not None
            and parts.size > 0
            and parts.part_size == self._part_size
            and parts.algorithm == self._part_algorithm()
        ):
            if sha512 is not None and sha512.lower() != parts.sha512:
                raise ChecksumMismatch(key, expected=sha512, actual=parts.sha512)
            upload_id, sent = self._send_known_parts(key, full, stream, parts)
            info = ObjectInfo(key, parts.size, datetime.now(UTC), parts.sha512)
            return _S3PendingPut(self, key, full, upload_id, sent, info)
        reader = HashingReader(stream)
        first = _read_full(reader, self._part_size)
        if not first:  # a multipart upload needs one part with bytes: nothing to send before the commit
            check_expected(key, reader.sha512.hexdigest(), sha512)
            return _EmptyPut(self, key)
        upload_id, sent, digest = self._send_multipart(key, full, reader, first, sha512)
        info = ObjectInfo(key, reader.size, datetime.now(UTC), digest)
        return _S3PendingPut(self, key, full, upload_id, sent, info)

    def digest_for_put(self, stream: BinaryIO) -> PartDigests:
        return digest_parts(stream, self._part_size, self._part_algorithm())

    def _part_algorithm(self) -> str:
        """How each body is checked by the server: "crc32" where this server is seen to check
        x-amz-checksum-crc32 (16 times cheaper to compute than MD5), else "md5" (Content-MD5,
        which every S3 store checks). Tried once, on an upload that is never completed."""
        with self._algorithm_lock:
            if self._algorithm is None:
                self._algorithm = "crc32" if self._server_checks_crc32() else "md5"
            return self._algorithm

    def _server_checks_crc32(self) -> bool:
        probe = self._key("muniment-checksum-probe")
        data = b"muniment checksum probe"
        wrong = base64.b64encode((zlib.crc32(data) ^ 1).to_bytes(4, "big")).decode()
        try:
            created = self._client.create_multipart_upload(
                Bucket=self._loc.bucket, Key=probe, ChecksumAlgorithm="CRC32"
            )
        except bce.ClientError:
            return False  # no CRC32 here
        except bce.BotoCoreError as exc:
            raise self._translate(exc, "muniment-checksum-probe") from None
        args: dict[str, Any] = {"Bucket": self._loc.bucket, "Key": probe, "UploadId": created["UploadId"], "Body": data}
        try:
            try:
                self._client.upload_part(PartNumber=1, ChecksumCRC32=wrong, **args)
                return False  # ignored: it would check nothing
            except bce.ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code", "")) not in _DIGEST_ERRORS:
                    return False
            try:
                self._client.upload_part(PartNumber=2, ChecksumCRC32=part_checksum("crc32", data), **args)
            except bce.ClientError:
                return False
            return True
        except bce.BotoCoreError as exc:  # the server went away mid-probe: unreachable, not "no CRC32"
            raise self._translate(exc, "muniment-checksum-probe") from None
        finally:
            self._abort(probe, created["UploadId"])

    def _checksum_args(self, data: bytes, known: str | None = None) -> dict[str, Any]:
        """The header that lets the server refuse a body that is not ``data``."""
        algorithm = self._part_algorithm()
        value = known or part_checksum(algorithm, data)
        return {"ChecksumCRC32": value} if algorithm == "crc32" else {"ContentMD5": value}

    def abort_pending(self, prefix: str) -> list[str]:
        validate_prefix(prefix)
        base = self._loc.prefix.rstrip("/") + "/" if self._loc.prefix else ""
        kwargs: dict[str, Any] = {"Bucket": self._loc.bucket, "Prefix": base + prefix}
        aborted: list[str] = []
        while True:
            response = self._call(prefix, self._client.list_multipart_uploads, **kwargs)
            for upload in response.get("Uploads", []):
                self._abort(upload["Key"], upload["UploadId"])
                aborted.append(self._strip(upload["Key"]))
            if not response.get("IsTruncated"):
                return aborted
            kwargs["KeyMarker"] = response["NextKeyMarker"]
            kwargs["UploadIdMarker"] = response["NextUploadIdMarker"]

    def _info_after_put(self, key: str, digest: str | None) -> ObjectInfo:
        info = self.head(key)
        return ObjectInfo(info.key, info.size, info.modified, digest or info.sha512)

    def _send_multipart(
        self, key: str, full: str, reader: HashingReader, first: bytes, sha512: str | None
    ) -> tuple[str, list[dict[str, Any]], str]:
        """Every part sent and the sha512 checked: (upload id, parts, sha512), not yet completed."""
        # The digest goes into metadata only when the caller told it in advance: metadata is
        # fixed when the upload is created, before the bytes have been read.
        metadata = {_SHA_META: sha512.lower()} if sha512 else {}
        created = self._call(
            key,
            self._client.create_multipart_upload,
            Bucket=self._loc.bucket,
            Key=full,
            Metadata=metadata,
            **_content_type(key),
            **self._create_checksum_args(),
        )
        upload_id = created["UploadId"]
        with self._failing_upload(key, full, upload_id):
            parts = self._upload_parts(key, full, upload_id, reader, first)
            digest = reader.sha512.hexdigest()
            check_expected(key, digest, sha512)
        return upload_id, parts, digest

    def _send_known_parts(
        self, key: str, full: str, stream: BinaryIO, known: PartDigests
    ) -> tuple[str, list[dict[str, Any]]]:
        """Every part sent with the checksum the caller computed: the server checks each one, so
        no byte is hashed again here. A stream that no longer matches the parts' sizes is refused."""
        created = self._call(
            key,
            self._client.create_multipart_upload,
            Bucket=self._loc.bucket,
            Key=full,
            Metadata={_SHA_META: known.sha512},
            **_content_type(key),
            **self._create_checksum_args(),
        )
        upload_id = created["UploadId"]
        with self._failing_upload(key, full, upload_id):
            reader = _CountingReader(stream)
            first = _read_full(reader, self._part_size)
            parts = self._upload_parts(key, full, upload_id, reader, first, known.part_checksums)
            if reader.size != known.size or len(parts) != len(known.part_checksums):
                raise ChecksumMismatch(key, expected=known.sha512, actual=f"(a file of {reader.size} bytes)")
        return upload_id, parts

    def _create_checksum_args(self) -> dict[str, Any]:
        # Parts checked with CRC32 must be announced when the upload is created (AWS refuses them otherwise).
        return {"ChecksumAlgorithm": "CRC32"} if self._part_algorithm() == "crc32" else {}

    def _complete(
        self, key: str, full: str, upload_id: str, parts: list[dict[str, Any]], *, exclusive: bool = False
    ) -> None:
        with self._failing_upload(key, full, upload_id):
            self._call(
                key,
                self._client.complete_multipart_upload,
                Bucket=self._loc.bucket,
                Key=full,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                **_IF_ABSENT if exclusive else {},
            )

    @contextmanager
    def _failing_upload(self, key: str, full: str, upload_id: str) -> Iterator[None]:
        """Abort the upload on any failure, so the key never holds a partial object."""
        try:
            yield
        except BaseException as exc:
            self._abort(full, upload_id)
            if isinstance(exc, (StorageError, ChecksumMismatch)):
                if isinstance(exc, StorageUnavailable):
                    raise StorageUnavailable(f"upload of {key!r} failed, nothing was stored: {exc}") from None
                raise
            if isinstance(exc, (bce.BotoCoreError, bce.ClientError)):
                raise self._translate(exc, key) from None
            raise

    def _upload_parts(
        self,
        key: str,
        full: str,
        upload_id: str,
        reader: HashingReader | _CountingReader,
        first: bytes,
        known: tuple[str, ...] = (),
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
                    # A part beyond the known ones gets a checksum of other bytes: refused.
                    **self._checksum_args(data, (known[number - 1] if number <= len(known) else _NOT_IT))
                    if known
                    else self._checksum_args(data),
                )
            except (bce.BotoCoreError, bce.ClientError) as exc:
                failed.set()
                raise self._translate(exc, key) from None
            part = {"PartNumber": number, "ETag": response["ETag"]}
            if "ChecksumCRC32" in response:  # AWS wants them again at completion
                part["ChecksumCRC32"] = response["ChecksumCRC32"]
            return part

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

    def open(self, key: str, start: int = 0, end: int | None = None, *, read_ahead: bool = True) -> BinaryIO:
        if end is not None and end <= start:
            return io.BytesIO(b"")
        try:
            if start == 0 and end is None and read_ahead:
                return self._gets.open_whole(self._key(key), key)
            return self._gets.open(self._key(key), key, start, end)
        except (bce.BotoCoreError, bce.ClientError) as exc:  # signing: no credentials, say
            raise self._translate(exc, key) from None

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


class _S3PendingPut(PendingPut):
    """A multipart upload whose parts are all sent and checked, waiting to be completed."""

    def __init__(
        self,
        storage: S3Storage,
        key: str,
        full: str,
        upload_id: str,
        parts: list[dict[str, Any]],
        info: ObjectInfo,
    ) -> None:
        self._storage = storage
        self.key = key
        self._full = full
        self._upload_id = upload_id
        self._parts = parts
        self.info = info
        self._done = False

    def commit(self) -> ObjectInfo:
        self._storage._complete(self.key, self._full, self._upload_id, self._parts, exclusive=True)
        self._done = True
        return self._storage._info_after_put(self.key, self.info.sha512)

    def abort(self) -> None:
        if not self._done:
            self._storage._abort(self._full, self._upload_id)
            self._done = True


class _EmptyPut(PendingPut):
    """An empty file: nothing is sent until the commit creates it."""

    def __init__(self, storage: S3Storage, key: str) -> None:
        self._storage = storage
        self.key = key
        self.info = ObjectInfo(key, 0, datetime.now(UTC), hashlib.sha512(b"").hexdigest())

    def commit(self) -> ObjectInfo:
        return self._storage.create(self.key, b"")

    def abort(self) -> None:
        pass


class _CountingReader:
    """Counts what is read, for a stream whose digests the caller knows already."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self.size += len(data)
        return data


def _read_full(reader: HashingReader | _CountingReader, size: int) -> bytes:
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


def _content_type(key: str) -> dict[str, str]:
    """ContentType for a write, when the key's suffix tells it.

    Besides being right for readers, it spares work: SeaweedFS sniffs an untyped upload, finds most
    raw image data to be "text" and gzips it on the way in (and gunzips it on every read).
    """
    guessed = mimetypes.guess_type(key, strict=False)[0]
    return {"ContentType": guessed} if guessed else {}


def _part_content_type(params: dict[str, Any], **_: Any) -> None:
    """UploadPart has no ContentType parameter; without the header SeaweedFS sniffs (and gzips)
    each part as above. AWS and others ignore the header on a part."""
    guessed = _content_type(params["url_path"]).get("ContentType")
    if guessed:
        params["headers"]["Content-Type"] = guessed

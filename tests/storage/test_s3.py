"""What only the S3 backend can show, against a real SeaweedFS server."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import threading
import time
from pathlib import Path

import pytest

from storage import NotFound, StorageError, StorageUnavailable
from storage.s3 import S3Location, S3Storage
from tests.conftest import new_bucket, s3_location
from tests.servers.seaweedfs import SeaweedFS
from tests.storage.test_contract import MB, PatternStream


def test_missing_bucket_and_wrong_credentials_are_clear(seaweedfs: SeaweedFS) -> None:
    with pytest.raises(StorageUnavailable, match="bucket 'no-such-bucket' does not exist"):
        S3Storage(s3_location(seaweedfs, "no-such-bucket")).check()
    bucket = new_bucket(seaweedfs)
    wrong = S3Location(bucket=bucket, endpoint_url=seaweedfs.endpoint, access_key="nobody", secret_key="nope")
    with pytest.raises(StorageUnavailable, match="refused the credentials"):
        S3Storage(wrong).check()


def test_unreachable_endpoint_is_clear() -> None:
    from storage.s3 import make_client
    from tests.servers.ports import free_port

    location = S3Location(bucket="b", endpoint_url=f"http://127.0.0.1:{free_port()}", access_key="a", secret_key="b")
    store = S3Storage(location, client=make_client(location, attempts=1, timeout=2))
    with pytest.raises(StorageUnavailable, match=r"cannot reach S3 endpoint http://127\.0\.0\.1"):
        store.check()
    with pytest.raises(StorageUnavailable, match=r"cannot reach S3 endpoint http://127\.0\.0\.1"):
        store.get_bytes("scans/p1.tif")  # reads take their own path (storage/s3_get.py)


def test_a_request_is_tried_s3_attempts_times_in_all_then_names_the_endpoint(
    seaweedfs: SeaweedFS, tmp_path: Path
) -> None:
    """MUNIMENT_S3_ATTEMPTS counts every try, the first included, of what botocore sends and of reads."""
    from repo.services import Services
    from repo.settings import Settings
    from tests.servers.outage_proxy import OutageProxy
    from tests.servers.seaweedfs import ACCESS_KEY, SECRET_KEY

    proxy = OutageProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1]))
    proxy.up = False  # every connection accepted, then closed at once
    endpoint = f"http://127.0.0.1:{proxy.port}"
    settings = Settings(
        data_dir=tmp_path,
        preservation_storage=f"s3://{new_bucket(seaweedfs)}",
        s3_endpoint=endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        s3_attempts=2,
    )
    services = Services.open(settings)
    try:
        with pytest.raises(StorageUnavailable, match=f"cannot reach S3 endpoint {endpoint}"):
            services.preservation.check()
        assert proxy.refused == 2
        with pytest.raises(StorageUnavailable, match=f"cannot reach S3 endpoint {endpoint}"):
            services.preservation.get_bytes("scans/p1.tif")
        assert proxy.refused == 4
        proxy.up = True
        services.preservation.check()
    finally:
        services.close()
        proxy.close()


def test_key_prefix_keeps_objects_apart(seaweedfs: SeaweedFS) -> None:
    bucket = new_bucket(seaweedfs)
    one = S3Storage(s3_location(seaweedfs, bucket, prefix="one"))
    two = S3Storage(s3_location(seaweedfs, bucket, prefix="two"))
    one.put_bytes("k", b"1")
    assert list(one.list()) == ["k"]
    assert list(two.list()) == []
    with pytest.raises(NotFound):
        two.head("k")


class SlowStream(PatternStream):
    """Signals after some bytes were read so the test can kill the server mid-upload."""

    def __init__(self, size: int, after: int, event: threading.Event) -> None:
        super().__init__(size)
        self.after = after
        self.event = event

    def read(self, n: int | None = -1) -> bytes:
        if self.pos >= self.after:
            self.event.set()
            import time

            time.sleep(0.05)
        return super().read(n)


@pytest.mark.slow
def test_server_killed_during_multipart_upload_leaves_nothing(tmp_path: Path) -> None:
    server = SeaweedFS(tmp_path / "weed").start()
    try:
        bucket = new_bucket(server)
        location = s3_location(server, bucket)
        from storage.s3 import make_client

        store = S3Storage(location, client=make_client(location, attempts=2, timeout=5))
        reached = threading.Event()
        killer = threading.Thread(target=lambda: (reached.wait(60), server.kill()))
        killer.start()
        with pytest.raises(StorageUnavailable, match="nothing was stored"):
            store.put("scans/big.tif", SlowStream(200 * MB, 40 * MB, reached))
        killer.join()
        # The same data folder, served again: the final key holds nothing.
        server.start()
        restarted = S3Storage(location)
        assert not restarted.exists("scans/big.tif")
        assert list(restarted.list("scans/")) == []
    finally:
        server.stop()


def test_server_lost_during_the_checksum_probe_is_unavailable_not_a_crash(seaweedfs: SeaweedFS) -> None:
    """The first write asks the server how it checks bodies; a server gone in the middle of that
    question is a StorageUnavailable (which the queue retries), not a raw botocore error."""
    from storage.s3 import make_client
    from tests.servers.outage_proxy import OutageProxy

    proxy = OutageProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1]))
    try:
        location = dataclasses.replace(
            s3_location(seaweedfs, new_bucket(seaweedfs)), endpoint_url=f"http://127.0.0.1:{proxy.port}"
        )
        client = make_client(location, attempts=2, timeout=5)
        cuts = iter([proxy.cut])  # the first probe only
        client.meta.events.register("after-call.s3.CreateMultipartUpload", lambda **_: next(cuts, lambda: None)())
        store = S3Storage(location, client=client)
        with pytest.raises(StorageUnavailable, match="cannot reach S3 endpoint"):
            store.put("scans/p1.tif", PatternStream(MB))
        proxy.up = True
        assert store.put("scans/p1.tif", PatternStream(MB)).size == MB  # asked again, not remembered as "md5"
        assert store._part_algorithm() == "crc32"
    finally:
        proxy.close()


def test_writes_carry_the_content_type_of_their_key(seaweedfs: SeaweedFS) -> None:
    """Readers get the right type; and SeaweedFS, told the type, stores image data as sent
    instead of sniffing it as text and gzipping it (a cost on every write and read)."""
    store = S3Storage(s3_location(seaweedfs, new_bucket(seaweedfs)))
    store.put("small/p1.tif", PatternStream(MB))
    store.put("big/p1.jpg", PatternStream(12 * MB))
    store.put_pending("pending/p1.tif", PatternStream(12 * MB), sha512=None, staging_key="unused").commit()
    store.put_bytes("tags/unknown.sha512", b"x")
    client = store._client
    types = {
        key: client.head_object(Bucket=store._loc.bucket, Key=key)["ContentType"]
        for key in ("small/p1.tif", "big/p1.jpg", "pending/p1.tif")
    }
    assert types == {"small/p1.tif": "image/tiff", "big/p1.jpg": "image/jpeg", "pending/p1.tif": "image/tiff"}


def test_abort_pending_drops_uploads_a_crashed_process_left(seaweedfs: SeaweedFS) -> None:
    store = S3Storage(s3_location(seaweedfs, new_bucket(seaweedfs), prefix="pfx"))
    store.put_pending("obj/v2/content/a.tif", PatternStream(3 * MB), sha512=None, staging_key="unused")
    store.put_pending("other/b.tif", PatternStream(MB), sha512=None, staging_key="unused")
    assert list(store.list("")) == []  # uploads in progress are invisible
    assert store.abort_pending("obj/") == ["obj/v2/content/a.tif"]
    assert store.abort_pending("") == ["other/b.tif"]
    assert store.abort_pending("") == []


def test_crc32_is_used_only_where_the_server_checks_it(seaweedfs: SeaweedFS) -> None:
    """CRC32 costs a sixteenth of MD5 to compute; SeaweedFS refuses a part whose CRC32 is wrong."""
    store = S3Storage(s3_location(seaweedfs, new_bucket(seaweedfs)))
    assert store._part_algorithm() == "crc32"
    assert store.abort_pending("") == []  # the probe's upload is gone
    assert list(store.list("")) == []
    data = PatternStream(9 * MB).read()
    parts = store.digest_for_put(io.BytesIO(data))
    assert parts.algorithm == "crc32" and len(parts.part_checksums) == 2
    store.put("a/whole.tif", io.BytesIO(data))
    assert store.get_bytes("a/whole.tif") == data


@pytest.mark.slow
def test_server_lost_mid_read_is_an_error_naming_the_object_and_reads_resume_after_restart(tmp_path: Path) -> None:
    from storage.s3 import make_client

    server = SeaweedFS(tmp_path / "weed").start()
    try:
        location = s3_location(server, new_bucket(server))
        store = S3Storage(location, client=make_client(location, attempts=3, timeout=5))
        data = PatternStream(64 * MB).read()
        store.put("scans/big.tif", io.BytesIO(data))
        store.put_bytes("small.txt", b"hello")
        assert store.get_bytes("small.txt") == b"hello"  # its connection is kept for the next read
        with store.open("scans/big.tif") as stream:
            assert stream.read(MB) == data[:MB]
            server.kill()
            with pytest.raises(StorageError, match=r"S3 read of .scans/big\.tif. at .* failed"):
                while stream.read(8 * MB):
                    pass
        server.start()
        # The kept connection died with the server: it is replaced, not reported.
        assert store.get_bytes("small.txt") == b"hello"
        assert store.get_bytes("scans/big.tif") == data
        assert store.get_bytes("scans/big.tif", MB, MB + 10) == data[MB : MB + 10]
    finally:
        server.stop()


@pytest.mark.parametrize("parts", [1, 1.5, 4.25])
def test_large_objects_read_whole_are_exact_across_read_ahead_parts(seaweedfs: SeaweedFS, parts: float) -> None:
    from storage.s3_readahead import PART_SIZE

    store = S3Storage(s3_location(seaweedfs, new_bucket(seaweedfs)))
    data = os.urandom(int(parts * PART_SIZE) + 7)  # random: a part read from the wrong offset shows
    store.put("scans/big.tif", io.BytesIO(data))
    assert store.get_bytes("scans/big.tif") == data
    with store.open("scans/big.tif") as stream:
        got = bytearray()
        while chunk := stream.read(1_000_003):  # reads that straddle the parts' edges
            got += chunk
    assert got == data
    assert store.get_bytes("scans/big.tif", PART_SIZE - 3, PART_SIZE + 3) == data[PART_SIZE - 3 : PART_SIZE + 3]


def test_an_object_replaced_while_it_is_read_is_an_error_not_a_mix_of_both(seaweedfs: SeaweedFS) -> None:
    from storage.s3_readahead import AHEAD, PART_SIZE

    store = S3Storage(s3_location(seaweedfs, new_bucket(seaweedfs)))
    size = (AHEAD + 3) * PART_SIZE
    store.put("scans/big.tif", io.BytesIO(os.urandom(size)))
    with store.open("scans/big.tif") as stream:
        stream.read(MB)
        store.put("scans/big.tif", io.BytesIO(os.urandom(size)))
        with pytest.raises(StorageError, match=r"'scans/big\.tif' was replaced in S3 at .* while"):
            while stream.read(PART_SIZE):
                pass


def test_reads_cut_off_midway_resume_where_they_stopped_and_one_that_never_arrives_names_the_object(
    seaweedfs: SeaweedFS,
) -> None:
    from storage.s3 import make_client
    from storage.s3_readahead import AHEAD, PART_SIZE
    from tests.servers.cutting_proxy import CuttingProxy

    bucket = new_bucket(seaweedfs)
    data = os.urandom((AHEAD + 3) * PART_SIZE + 7)
    S3Storage(s3_location(seaweedfs, bucket)).put("scans/big.tif", io.BytesIO(data))
    proxy = CuttingProxy(int(seaweedfs.endpoint.rsplit(":", 1)[1]))
    try:
        location = dataclasses.replace(s3_location(seaweedfs, bucket), endpoint_url=f"http://127.0.0.1:{proxy.port}")
        # Which connections the three cuts fall on depends on how far the read-ahead has got (a
        # resumed part may be cut again): four attempts let any part survive all three.
        store = S3Storage(location, client=make_client(location, attempts=4, timeout=10))
        small = os.urandom(3 * MB)
        store.put("small.tif", io.BytesIO(small))
        proxy.cut_after(MB)  # one GET streamed whole
        assert store.get_bytes("small.tif") == small and proxy.cuts_made == 1
        proxy.cut_after(MB)  # a byte range
        assert store.get_bytes("small.tif", 10, 2 * MB + 10) == small[10 : 2 * MB + 10] and proxy.cuts_made == 2
        proxy.cuts_made = 0
        with store.open("scans/big.tif") as stream:
            got = bytearray(stream.read(MB))
            proxy.cut_after(MB, times=3)  # the first part, streamed, and the next two parts fetched ahead
            while chunk := stream.read(3 * MB):
                got += chunk
        assert proxy.cuts_made == 3 and got == data

        store = S3Storage(location, client=make_client(location, attempts=2, timeout=10))
        with store.open("scans/big.tif") as stream:
            stream.read(MB)
            proxy.cut_after(MB, times=1000)  # a resumed read is cut too: attempts=2 allows one resume
            with pytest.raises(StorageError, match=r"S3 read of 'scans/big\.tif' at .* failed: the connection closed"):
                while stream.read(3 * MB):
                    pass
    finally:
        proxy.close()


def test_a_forked_child_reads_with_the_parents_store_and_the_parent_reads_on(seaweedfs: SeaweedFS) -> None:
    """As a prefork task worker would. The child's read ahead hung on the pool it inherited."""
    from storage.s3 import make_client
    from storage.s3_readahead import PART_SIZE

    location = s3_location(seaweedfs, new_bucket(seaweedfs))
    store = S3Storage(location, client=make_client(location, attempts=1, timeout=10))  # no retry hides a fault
    data = os.urandom(3 * PART_SIZE)
    store.put("scans/big.tif", io.BytesIO(data))
    assert store.get_bytes("scans/big.tif") == data  # the parent's pool has threads, its connections are kept
    pid = os.fork()
    if pid == 0:
        try:
            whole = store.get_bytes("scans/big.tif")
            store.open("scans/big.tif", 0, 4 * MB).read(10)  # a response left midway at exit
            os._exit(0 if whole == data else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            streams = [store.open("scans/big.tif", 0, 100) for _ in range(6)]  # every kept connection
            assert [stream.read() for stream in streams] == [data[:100]] * 6
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the child's read hung: the pool it inherited never started threads")


def test_create_of_an_object_larger_than_a_part_is_refused_over_an_existing_one(s3_storage: S3Storage) -> None:
    from storage.errors import AlreadyExists

    big = PatternStream(12 * MB).read()  # two parts at the default part size: a multipart upload
    s3_storage.create("inv/v9/inventory.json", big)
    assert s3_storage.get_bytes("inv/v9/inventory.json") == big
    with pytest.raises(AlreadyExists):
        s3_storage.create("inv/v9/inventory.json", big[::-1])
    assert s3_storage.head("inv/v9/inventory.json").sha512 == hashlib.sha512(big).hexdigest()
    assert s3_storage.abort_pending("inv/") == []  # the refused upload was aborted, not left behind

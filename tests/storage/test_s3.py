"""What only the S3 backend can show, against a real SeaweedFS server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storage import NotFound, StorageUnavailable
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

    location = S3Location(
        bucket="b", endpoint_url=f"http://127.0.0.1:{free_port()}", access_key="a", secret_key="b"
    )
    store = S3Storage(location, client=make_client(location, max_attempts=1, timeout=2))
    with pytest.raises(StorageUnavailable, match=r"cannot reach S3 endpoint http://127\.0\.0\.1"):
        store.check()


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

        store = S3Storage(location, client=make_client(location, max_attempts=2, timeout=5))
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

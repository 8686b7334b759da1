"""Canaries outside every root: a folder whose every open, read, write or new file the kernel
reports (inotify), and a loopback HTTP listener that counts connections. A hostile input that
made the server read a file or fetch a URL it should not would show up here."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import struct
import threading
from pathlib import Path

_IN_NONBLOCK = os.O_NONBLOCK
_IN_ALL_EVENTS = 0x00000FFF
_EVENT = struct.Struct("iIII")
SECRET = b"CANARY-SECRET-0451\n"


class FolderCanary:
    """Files outside the storage and staging roots that nothing may open, read or write."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.secret = folder / "secret.txt"
        self.secret.write_bytes(SECRET)
        (folder / "evil.dtd").write_text('<!ENTITY x SYSTEM "file:///etc/hostname">\n')
        self.before = sorted(p.name for p in folder.iterdir())
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._fd = libc.inotify_init1(_IN_NONBLOCK)
        if self._fd < 0 or libc.inotify_add_watch(self._fd, str(folder).encode(), _IN_ALL_EVENTS) < 0:
            raise OSError(ctypes.get_errno(), "inotify is not available")

    def events(self) -> list[tuple[int, str]]:
        """(mask, file name) of everything that happened in the folder since it was set up."""
        found: list[tuple[int, str]] = []
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return found
            offset = 0
            while offset < len(data):
                _, mask, _, length = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0").decode()
                found.append((mask, name))
                offset += _EVENT.size + length

    def assert_untouched(self) -> None:
        events = self.events()  # first: the checks below open the folder themselves
        assert events == [], f"something outside the roots was opened or changed: {events}"
        assert sorted(p.name for p in self.folder.iterdir()) == self.before
        assert self.secret.read_bytes() == SECRET

    def close(self) -> None:
        os.close(self._fd)


class HttpCanary:
    """A loopback listener: any connection to it is a fetch that should never have happened."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()

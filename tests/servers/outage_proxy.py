"""A TCP relay on 127.0.0.1 in front of a real server that can be taken down and brought back:
while down, every connection is closed at once (as a stopped server's port would refuse it)."""

from __future__ import annotations

import socket
import threading

from tests.servers.ports import free_port


class OutageProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.up = True
        self.refused = 0
        self._live: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def cut(self) -> None:
        """Go down now, connections in use included, as a server killed mid-request does."""
        self.up = False
        for sock in list(self._live):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:  # the server behind is gone: refused, as its own port would
                client.close()
                continue
            self._live.update((client, server))
            for source, dest in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, dest), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, dest: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                dest.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

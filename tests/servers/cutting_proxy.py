"""A TCP relay on 127.0.0.1 that can cut a connection midway through what the server sends:
a network that drops, in front of a real server, for tests of what a client does then."""

from __future__ import annotations

import socket
import threading

from tests.servers.ports import free_port


class CuttingProxy:
    """Relays 127.0.0.1:``port`` to ``upstream_port``. After ``cut_after(n, times)``, the next
    ``times`` connections on which the server sends anything get ``n`` bytes more, then are cut."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.cuts_made = 0
        self._budget = 0
        self._cuts_left = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, n: int, times: int = 1) -> None:
        with self._lock:
            self._budget, self._cuts_left = n, times

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:  # the server behind is gone: refused, as its own port would
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _claim_cut(self) -> int | None:
        with self._lock:
            if self._cuts_left <= 0:
                return None
            self._cuts_left -= 1
            self.cuts_made += 1
            return self._budget

    def _pump(self, source: socket.socket, dest: socket.socket, from_server: bool) -> None:
        budget: int | None = None  # bytes this connection may still relay before it is cut
        try:
            while data := source.recv(65536):
                if from_server and budget is None:
                    budget = self._claim_cut()
                if budget is not None:
                    data = data[:budget]
                    budget -= len(data)
                dest.sendall(data)
                if budget == 0:
                    break
        except OSError:
            pass
        for sock in (source, dest):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

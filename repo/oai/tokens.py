"""Resumption tokens: the whole state of a list request, signed, so any worker can resume it.

A token is urlsafe base64 of ``payload || HMAC-SHA256(payload)[:16]``; the payload is a compact
JSON array. Nothing is stored on the server. Any change to a token (a flipped bit, a cut-off
end, another verb, an expired date, another secret key) is ``badResumptionToken``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from repo.oai.errors import OAIError

_VERSION = 1
_MAC_BYTES = 16
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,1024}")


@dataclass(frozen=True)
class ListState:
    """Where a ListIdentifiers/ListRecords harvest stands."""

    verb: str
    metadata_prefix: str
    set_spec: str | None
    lower: str | None  # inclusive datestamp bounds; `upper` frozen at the first request
    upper: str
    last_datestamp: str  # key (datestamp, id) of the last record sent: the next page starts after it
    last_id: str
    cursor: int  # records sent before the next page
    complete_list_size: int
    expires: int  # unix seconds

    def advanced(self, last: tuple[str, str], sent: int, complete_list_size: int, expires: int) -> ListState:
        """The state after one more page of ``sent`` records ending at the key ``last``."""
        return replace(
            self,
            last_datestamp=last[0],
            last_id=last[1],
            cursor=self.cursor + sent,
            complete_list_size=complete_list_size,
            expires=expires,
        )


class TokenCodec:
    def __init__(self, secret_key: str) -> None:
        # A key of its own, so that a token never verifies under any other use of the secret.
        self._key = hashlib.sha256(b"muniment oai-pmh resumption token\0" + secret_key.encode()).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, state: ListState) -> str:
        fields = [
            _VERSION,
            state.verb,
            state.metadata_prefix,
            state.set_spec,
            state.lower,
            state.upper,
            state.last_datestamp,
            state.last_id,
            state.cursor,
            state.complete_list_size,
            state.expires,
        ]
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode("ascii")

    def decode(self, token: str, verb: str, now: int) -> ListState:
        bad = OAIError("badResumptionToken", "the resumption token is invalid or has expired")
        if not _TOKEN.fullmatch(token) or len(token) % 4 == 1:
            raise bad
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise bad from None
        # Base64 leaves spare bits in a last partial character: only the one spelling we issue is valid.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
            raise bad
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise bad
        state = _state(json.loads(payload))  # signed by us: well-formed, but check the shape anyway
        if state is None or state.verb != verb or state.expires < now:
            raise bad
        return state


def _state(fields: Any) -> ListState | None:
    if not (isinstance(fields, list) and len(fields) == 11 and fields[0] == _VERSION):
        return None
    _, verb, prefix, set_spec, lower, upper, last_ds, last_id, cursor, size, expires = fields
    strings_ok = all(isinstance(s, str) for s in (verb, prefix, upper, last_ds, last_id))
    optional_ok = all(s is None or isinstance(s, str) for s in (set_spec, lower))
    numbers_ok = all(type(n) is int for n in (cursor, size, expires))
    if not (strings_ok and optional_ok and numbers_ok):
        return None
    return ListState(verb, prefix, set_spec, lower, upper, last_ds, last_id, cursor, size, expires)

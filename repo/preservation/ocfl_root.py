"""The OCFL 1.1 storage root, written through a ``Storage``: its declaration, its layout, and
where objects and staged versions live."""

from __future__ import annotations

import json
from collections.abc import Iterator

from repo.preservation.errors import StorageRootError
from repo.preservation.ocfl_layout import HashedNTupleLayout
from storage.base import Storage
from storage.errors import NotFound

ROOT_DECLARATION = "0=ocfl_1.1"
ROOT_DECLARATION_BODY = b"ocfl_1.1\n"
OBJECT_DECLARATION = "0=ocfl_object_1.1"
OBJECT_DECLARATION_BODY = b"ocfl_object_1.1\n"
LAYOUT_FILE = "ocfl_layout.json"
EXTENSIONS = "extensions"
# A local storage-root extension folder: versions are uploaded here before they are copied into
# the object, so an interrupted upload never leaves a stray version folder inside an object
# (which validators report as an error, E046b). Validators only warn about an unregistered
# extension folder, and only while it holds something.
STAGING = f"{EXTENSIONS}/muniment-staging"


class OcflRoot:
    """The storage root. Readers call ``open``; the first writer calls ``ensure``."""

    def __init__(self, storage: Storage, layout: HashedNTupleLayout | None = None) -> None:
        self.storage = storage
        self._wanted = layout
        self._layout: HashedNTupleLayout | None = None

    @property
    def layout(self) -> HashedNTupleLayout:
        if self._layout is None:
            self.open()
        assert self._layout is not None
        return self._layout

    @property
    def config_key(self) -> str:
        return f"{EXTENSIONS}/{HashedNTupleLayout.NAME}/config.json"

    def exists(self) -> bool:
        return self.storage.exists(ROOT_DECLARATION)

    def open(self) -> HashedNTupleLayout:
        """Check the root's declaration and layout; ``StorageRootError`` when it is not ours."""
        try:
            declaration = self.storage.get_bytes(ROOT_DECLARATION)
        except NotFound:
            raise StorageRootError(
                f"{self.storage.location} is not an OCFL storage root (no {ROOT_DECLARATION})"
            ) from None
        if declaration != ROOT_DECLARATION_BODY:
            raise StorageRootError(f"{ROOT_DECLARATION} does not contain 'ocfl_1.1'")
        layout_doc = self._read_json(LAYOUT_FILE)
        if layout_doc.get("extension") != HashedNTupleLayout.NAME:
            raise StorageRootError(f"storage root layout {layout_doc.get('extension')!r} is not supported")
        layout = HashedNTupleLayout.from_config(self._read_json(self.config_key))
        if self._wanted is not None and layout != self._wanted:
            raise StorageRootError(
                f"storage root layout {layout.config()} differs from the configured {self._wanted.config()}"
            )
        self._layout = layout
        return layout

    def ensure(self) -> HashedNTupleLayout:
        """Open the root, creating it first in an empty storage.

        The declaration is written last: until it exists the storage is not a root, and a
        crash during creation leaves only files that the next ``ensure`` rewrites.
        """
        if self.exists():
            return self.open()
        ours = {LAYOUT_FILE, self.config_key}
        # Versions staged before the first commit (see ocfl_writer) are ours too.
        stray = [key for key in self._keys_until_stray() if key not in ours and not key.startswith(STAGING + "/")]
        if stray:
            raise StorageRootError(
                f"{self.storage.location} is not empty and not an OCFL storage "
                f"root (found {stray[0]!r}); refusing to create one there"
            )
        layout = self._layout_to_create()
        self.storage.put_bytes(self.config_key, _json_bytes(layout.config()))
        self.storage.put_bytes(LAYOUT_FILE, _json_bytes(layout.layout_document()))
        self.storage.put_bytes(ROOT_DECLARATION, ROOT_DECLARATION_BODY)
        self._layout = layout
        return layout

    def _keys_until_stray(self) -> Iterator[str]:
        """Keys in order, up to the first that is not the root's own (or 10 of them)."""
        seen = 0
        for key in self.storage.list(""):
            yield key
            if not key.startswith(STAGING + "/"):
                seen += 1
                if seen >= 10:
                    return

    def _layout_to_create(self) -> HashedNTupleLayout:
        return self._wanted or HashedNTupleLayout()

    def object_root(self, object_id: str) -> str:
        return self.layout.object_root(object_id)

    def object_root_for_writing(self, object_id: str) -> str:
        """Where the object is, or will be once the first commit creates the root (``ensure``)."""
        if self._layout is None and not self.exists():
            return self._layout_to_create().object_root(object_id)
        return self.object_root(object_id)

    def staging_prefix(self, object_root: str) -> str:
        return f"{STAGING}/{object_root}/"

    def object_roots(self) -> Iterator[str]:
        """Every folder holding an object declaration (committed or not), in key order."""
        suffix = "/" + OBJECT_DECLARATION
        for key in self.storage.list(""):
            if key.endswith(suffix) and not key.startswith(EXTENSIONS + "/"):
                yield key[: -len(suffix)]

    def _read_json(self, key: str) -> dict[str, object]:
        try:
            doc = json.loads(self.storage.get_bytes(key).decode("utf-8"))
        except NotFound:
            raise StorageRootError(f"storage root has no {key}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StorageRootError(f"{key} is not UTF-8 JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise StorageRootError(f"{key} is not a JSON object")
        return doc


def _json_bytes(doc: object) -> bytes:
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")

"""OCFL community extension 0004, the hashed n-tuple storage layout: object id -> object root.

The id's digest (sha256 by default), as lowercase hex, is cut into ``number_of_tuples`` folders
of ``tuple_size`` characters; the object root folder is the whole digest (or, with
``short_object_root``, what remains after the tuples). ``info:fedora/foo/bar`` becomes
``70c/b11/831/70cb11831eda669bfa7ccbe0996d3df06186f47a6f3544cabff61b3f79509d73``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from repo.preservation.errors import StorageRootError


@dataclass(frozen=True)
class HashedNTupleLayout:
    NAME: ClassVar[str] = "0004-hashed-n-tuple-storage-layout"
    DESCRIPTION: ClassVar[str] = (
        "OCFL object identifiers are hashed and encoded as hex strings. These digests are then "
        "divided into N n-tuple segments, which are used to create nested paths under the OCFL "
        "storage root."
    )

    digest_algorithm: str = "sha256"
    tuple_size: int = 3
    number_of_tuples: int = 3
    short_object_root: bool = False

    def __post_init__(self) -> None:
        if self.digest_algorithm not in hashlib.algorithms_guaranteed:
            raise StorageRootError(f"layout digest algorithm {self.digest_algorithm!r} is unknown")
        if not (0 <= self.tuple_size <= 32 and 0 <= self.number_of_tuples <= 32):
            raise StorageRootError("layout tupleSize and numberOfTuples must be between 0 and 32")
        if (self.tuple_size == 0) != (self.number_of_tuples == 0):
            raise StorageRootError("layout tupleSize and numberOfTuples must both be 0 or neither")
        if self.tuple_size == 0 and self.short_object_root:
            raise StorageRootError("layout shortObjectRoot needs tuples")
        used = self.tuple_size * self.number_of_tuples
        length = len(self._digest(""))
        if used > length or (self.short_object_root and used == length):
            raise StorageRootError(f"layout tuples use {used} of the {length} digest characters")

    def _digest(self, object_id: str) -> str:
        digest = hashlib.new(self.digest_algorithm, object_id.encode("utf-8"))
        # shake_* have no fixed length; the extension does not allow them either.
        return digest.hexdigest()

    def object_root(self, object_id: str) -> str:
        """The object root, relative to the storage root, for ``object_id``."""
        if object_id == "":
            raise ValueError("an OCFL object id cannot be empty")
        digest = self._digest(object_id)
        size = self.tuple_size
        tuples = [digest[i * size : (i + 1) * size] for i in range(self.number_of_tuples)]
        last = digest[size * self.number_of_tuples :] if self.short_object_root else digest
        return "/".join([*tuples, last])

    def config(self) -> dict[str, Any]:
        """The ``extensions/0004-.../config.json`` document."""
        return {
            "extensionName": self.NAME,
            "digestAlgorithm": self.digest_algorithm,
            "tupleSize": self.tuple_size,
            "numberOfTuples": self.number_of_tuples,
            "shortObjectRoot": self.short_object_root,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HashedNTupleLayout:
        if config.get("extensionName") != cls.NAME:
            raise StorageRootError(f"layout config is for {config.get('extensionName')!r}, not {cls.NAME}")
        try:
            return cls(
                digest_algorithm=str(config.get("digestAlgorithm", "sha256")),
                tuple_size=int(config.get("tupleSize", 3)),
                number_of_tuples=int(config.get("numberOfTuples", 3)),
                short_object_root=bool(config.get("shortObjectRoot", False)),
            )
        except (TypeError, ValueError) as exc:
            raise StorageRootError(f"layout config is malformed: {exc}") from None

    @classmethod
    def layout_document(cls) -> dict[str, str]:
        """The storage root's ``ocfl_layout.json``."""
        return {"extension": cls.NAME, "description": cls.DESCRIPTION}

"""A stored version read back as a bag: its tag files (bag-info, metadata, PREMIS) and its payload
in page order, without reading a single scan."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from repo.metadata.loader import record_from_stored
from repo.metadata.namespaces import PREMIS, XSI, q
from repo.metadata.premis import PremisEvent, parse_premis_events
from repo.metadata.record import MetadataRecord
from repo.metadata.safe_xml import parse_xml
from repo.preservation import BagEntry, FixityError, ObjectStore
from repo.preservation.bag_format import PAYLOAD_DIR, parse_tags

BAG_INFO = "bag-info.txt"
PREMIS_FILE = "metadata/premis.xml"
DC_FILE = "metadata/dc.xml"
MODS_FILE = "metadata/mods.xml"
MARC_FILE = "metadata/marc.xml"  # when the record came as MARC


@dataclass(frozen=True)
class StoredBag:
    object_id: str
    version: str
    created: str  # when the version was committed (OCFL inventory)
    tags: dict[str, bytes]  # every file outside data/, by bag path
    payload: list[BagEntry] = field(default_factory=list)  # page order (PREMIS file order when known)

    @cached_property
    def info(self) -> list[tuple[str, str]]:
        return parse_tags(self.tags.get(BAG_INFO, b"").decode("utf-8"), strict_labels=False)[0]

    def info_value(self, label: str) -> str | None:
        return next((v for k, v in self.info if k.lower() == label.lower()), None)

    def record(self) -> MetadataRecord:
        """The descriptive record this version holds (its MARC too, when it came as MARC)."""
        return record_from_stored(
            self.tags[DC_FILE], self.tags[MODS_FILE], f"{self.object_id} {self.version}", self.tags.get(MARC_FILE)
        )

    @cached_property
    def events(self) -> list[PremisEvent]:
        return parse_premis_events(self.tags[PREMIS_FILE]) if PREMIS_FILE in self.tags else []


def read_stored_bag(store: ObjectStore, object_id: str, version: str | None = None) -> StoredBag:
    inventory = store.read_inventory(object_id)
    name = version or inventory.head
    root = store.object_root(object_id)
    tags: dict[str, bytes] = {}
    digests: dict[str, str] = {}
    for path, (content, digest) in inventory.state(name).items():
        if path.startswith(f"{PAYLOAD_DIR}/"):
            digests[path] = digest
            continue
        data = store.storage.get_bytes(f"{root}/{content}")
        if hashlib.sha512(data).hexdigest() != digest:  # small files: check them as they are read
            raise FixityError(f"{root}/{content}", digest, hashlib.sha512(data).hexdigest())
        tags[path] = data
    created = inventory.versions[name].created
    return StoredBag(object_id, name, created, tags, _payload(store, object_id, name, tags, digests))


def _payload(
    store: ObjectStore, object_id: str, version: str, tags: dict[str, bytes], digests: dict[str, str]
) -> list[BagEntry]:
    described = premis_files(tags[PREMIS_FILE]) if PREMIS_FILE in tags else []
    if sorted(path for path, _, _ in described) == sorted(digests) and all(
        digests[path] == sha512 for path, sha512, _ in described
    ):
        return [BagEntry(path, size, sha512) for path, sha512, size in described]
    return sorted(store.payload_entries(object_id, version), key=lambda e: e.path)


def premis_files(xml: bytes) -> list[tuple[str, str, int]]:
    """(path, sha512, size) of the PREMIS file objects, in document order (ingest writes page order)."""
    root = parse_xml(xml, PREMIS_FILE).getroot()
    out = []
    for node in root.iter(q(PREMIS, "object")):
        if node.get(q(XSI, "type")) != "file":
            continue
        name = node.findtext(q(PREMIS, "originalName"))
        characteristics = f"{q(PREMIS, 'objectCharacteristics')}/"
        digest = node.findtext(f"{characteristics}{q(PREMIS, 'fixity')}/{q(PREMIS, 'messageDigest')}")
        size = node.findtext(f"{characteristics}{q(PREMIS, 'size')}")
        if name and digest and size and size.isdigit():
            out.append((name, digest.lower(), int(size)))
    return out

"""A new version of an item's bag that changes only tag files: the payload (the scans) is carried
over by digest and never copied, bag-info is rewritten, and the PREMIS log gains events."""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from pathlib import Path

from repo.lifecycle.stored_bag import BAG_INFO, PREMIS_FILE, StoredBag, read_stored_bag
from repo.metadata.premis import PremisEvent, premis_xml
from repo.preservation import BagInfo, ObjectStore, User, VersionInfo, rebuild_tags
from repo.preservation.bag_format import MANIFEST_NAME
from repo.version import AGENT

# bag-info fields that BagInfo writes itself (the rest are carried over as they are).
_COMPUTED = {
    "source-organization",
    "bagging-date",
    "external-identifier",
    "bag-group-identifier",
    "payload-oxum",
    "bag-size",
    "bag-software-agent",
}


def write_tag_version(
    store: ObjectStore,
    object_id: str,
    staging: Path,
    *,
    replace: Mapping[str, bytes],
    remove: Collection[str] = (),
    events: Sequence[PremisEvent],
    message: str,
    user: User,
    title: str | None = None,
    source_organization: str = "",
    bag: StoredBag | None = None,
) -> VersionInfo:
    """Commit the next version: the head's tag files (``bag``, read when not given) with ``replace``
    applied and ``remove`` left out, ``events`` appended to the PREMIS log, bag-info's Bagging-Date
    (and Title) updated."""
    bag = bag or read_stored_bag(store, object_id)
    tags = {path: data for path, data in bag.tags.items() if not _written_by_builder(path)}
    tags.update(replace)
    for path in remove:
        tags.pop(path, None)
    tags[PREMIS_FILE] = premis_xml(
        object_id, [*bag.events, *events], [(e.path, e.sha512, e.size or 0) for e in bag.payload]
    )
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging, prefix="version-") as folder:
        built = rebuild_tags(
            Path(folder) / "bag", payload=bag.payload, tags=tags, info=_bag_info(bag, title, source_organization)
        )
        return store.create_or_update(object_id, built, message, user)


def _written_by_builder(path: str) -> bool:
    return path in ("bagit.txt", BAG_INFO) or MANIFEST_NAME.match(path) is not None


def _bag_info(bag: StoredBag, title: str | None, source_organization: str) -> BagInfo:
    extra = [
        (label, title if title and label.lower() == "title" else value)
        for label, value in bag.info
        if label.lower() not in _COMPUTED
    ]
    if title and not any(label.lower() == "title" for label, _ in extra):
        extra.insert(0, ("Title", title))
    return BagInfo(
        source_organization=bag.info_value("Source-Organization") or source_organization,
        bagging_date=date.today(),  # the bag changed today
        external_identifier=bag.info_value("External-Identifier"),
        bag_group_identifier=bag.info_value("Bag-Group-Identifier"),
        extra=extra,
        software_agent=AGENT,
    )

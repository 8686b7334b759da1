"""Preservation: BagIt 1.0 bags kept as versions of OCFL 1.1 objects in a ``Storage``."""

from repo.preservation.archive import ArchiveLimits, ExtractedArchive, extract_archive
from repo.preservation.bag import BagEntry, BagInfo, BuiltBag, build_bag, load_bag, rebuild_tags
from repo.preservation.bag_profile import check_profile, load_profile
from repo.preservation.bag_validation import validate_bag
from repo.preservation.errors import (
    BagBuildError,
    ConcurrentUpdate,
    FixityError,
    InvalidInventory,
    LogicalPathNotFound,
    ObjectBusy,
    ObjectNotFound,
    OcflError,
    PreservationError,
    StagedBagError,
    StorageRootError,
    UnsafeArchive,
    VersionNotFound,
)
from repo.preservation.object_lock import FileObjectLocks, ObjectLocks, ProcessObjectLocks
from repo.preservation.ocfl_inventory import Inventory, User, Version
from repo.preservation.ocfl_layout import HashedNTupleLayout
from repo.preservation.ocfl_object import ObjectStore, VersionInfo
from repo.preservation.ocfl_root import OcflRoot
from repo.preservation.ocfl_writer import VersionWriter

__all__ = [
    "ArchiveLimits",
    "BagBuildError",
    "BagEntry",
    "BagInfo",
    "BuiltBag",
    "ConcurrentUpdate",
    "ExtractedArchive",
    "FileObjectLocks",
    "FixityError",
    "HashedNTupleLayout",
    "InvalidInventory",
    "Inventory",
    "LogicalPathNotFound",
    "ObjectBusy",
    "ObjectLocks",
    "ObjectNotFound",
    "ObjectStore",
    "OcflError",
    "OcflRoot",
    "PreservationError",
    "ProcessObjectLocks",
    "StagedBagError",
    "StorageRootError",
    "UnsafeArchive",
    "User",
    "Version",
    "VersionInfo",
    "VersionNotFound",
    "VersionWriter",
    "build_bag",
    "check_profile",
    "extract_archive",
    "load_bag",
    "load_profile",
    "rebuild_tags",
    "validate_bag",
]

"""Settings: one object from ``MUNIMENT_*`` environment variables and an optional TOML file.

Passed to whatever needs it; never a global. Every setting has a default and a line of help,
and the README's settings table lists each one (a test checks).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from repo.errors import ConfigError

ENV_PREFIX = "MUNIMENT_"


def setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(
        Path("muniment-data"), "Folder for the embedded default: storage folders, SQLite catalog, staging."
    )
    preservation_storage: str = setting(
        "",
        "Where OCFL preservation objects live: a folder or s3://bucket/prefix. Default: DATA_DIR/preservation.",
    )
    access_storage: str = setting(
        "",
        "Where access derivatives live (pyramidal TIFFs, thumbnails): a folder or s3://bucket/prefix. "
        "Default: DATA_DIR/access.",
    )
    replica_storage: str = setting("", "A second preservation copy (folder or s3://bucket/prefix); empty for none.")
    create_buckets: bool = setting(
        False,
        "Create the S3 buckets of the storage settings when they are missing, as serve and worker start "
        "(on in docker-compose.yml).",
    )
    s3_endpoint: str = setting("", "S3 endpoint URL for s3:// locations (SeaweedFS, MinIO, Ceph); empty for AWS.")
    s3_region: str = setting("us-east-1", "S3 region name.")
    s3_access_key: str = setting("", "S3 access key id.")
    s3_secret_key: str = setting("", "S3 secret access key.", secret=True)
    s3_attempts: int = setting(
        3,
        "Tries of one S3 request, the first included, when the endpoint is unreachable or answers 5xx or slow "
        "down (botocore waits up to 1 s, then 2 s, between them); a queued task's retry waits out longer outages.",
    )
    s3_connect_timeout: float = setting(
        5.0, "Seconds one try waits for the S3 endpoint to accept a connection before it counts as failed."
    )
    database_url: str = setting(
        "", "Catalog database: sqlite:///path or postgresql://user:pass@host/db. Default: SQLite in DATA_DIR."
    )
    database_pool_size: int = setting(
        10,
        "PostgreSQL catalog connections each process opens at most, shared by its threads (each holds one for a "
        "statement or a transaction); size max_connections for every process's pool.",
    )
    database_pool_timeout: float = setting(
        30.0, "Seconds a request waits for a free PostgreSQL catalog connection before it fails with a 503."
    )
    sqlite_mmap_mb: int = setting(
        1024, "Megabytes of a SQLite catalog read through memory mapping (shared by every thread); 0 for none."
    )
    staging_dir: str = setting(
        "", "Scratch folder for bags being built and archives being unpacked. Default: DATA_DIR/staging."
    )
    host: str = setting("127.0.0.1", "Address `muniment serve` listens on.")
    port: int = setting(8000, "Port `muniment serve` listens on.")
    workers: int = setting(0, "Web worker processes; 0 means one per CPU core.")
    base_url: str = setting(
        "http://127.0.0.1:8000",
        "Public URL of this server, written into IIIF, pages and OAI-PMH responses. Left at this default, "
        "`muniment serve` writes the address it listens on (its --host and --port; its host name when on 0.0.0.0).",
    )
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "Addresses of reverse proxies (comma separated) whose X-Forwarded-For and X-Forwarded-Proto headers are "
        "believed; empty believes no one's (the audit log names the connecting address).",
    )
    source_organization: str = setting(
        "Muniment Library", "Source-Organization written into every bag, and the IIIF provider label."
    )
    bagit_profile_identifier: str = setting(
        "https://github.com/dpscollaborative/btr_bagit_profile/releases/download/1.0/btr-bagit-profile.json",
        "BagIt-Profile-Identifier written into every bag this repository makes (our bags satisfy the BTR profile); "
        "empty for none.",
    )
    repository_name: str = setting("Muniment", "Repository name shown on pages and in OAI-PMH Identify.")
    repository_identifier: str = setting("muniment.example.org", "OAI identifier namespace: oai:{this}:{item-id}.")
    admin_email: str = setting("admin@example.org", "Administrator e-mail for OAI-PMH Identify.")
    secret_key: str = setting(
        "",
        "Key that signs OAI-PMH resumption tokens and staff session cookies; empty: a random key made at "
        "first start and kept in the catalog.",
        secret=True,
    )
    max_image_pixels: int = setting(
        400_000_000,
        "Largest page image (width x height) accepted at ingest; read from the header, before decoding.",
    )
    lock_wait_seconds: int = setting(
        300,
        "How long a write waits while another process writes the same item (ingest, edit, withdrawal) "
        "before it gives up with a conflict naming that process.",
    )
    ingest_workers: int = setting(0, "Pages and items processed in parallel at ingest; 0 means the CPU count.")
    iiif_max_width: int = setting(10000, "IIIF maxWidth: widest image the image server renders.")
    iiif_max_height: int = setting(10000, "IIIF maxHeight: tallest image the image server renders.")
    iiif_max_area: int = setting(50_000_000, "IIIF maxArea: most pixels the image server renders in one response.")
    iiif_jpeg_quality: int = setting(75, "JPEG quality of images the image server encodes.")
    iiif_tile_cache_mb: int = setting(256, "Memory for the image server's cache of encoded tiles, per worker.")
    pyramid_quality: int = setting(
        75,
        "JPEG quality of the stored pyramid tiles made at ingest and by derivative rebuilds (below 90: YCbCr, "
        "4:2:0 chroma subsampling); masters are kept as received.",
    )
    iiif_tile_passthrough: bool = setting(
        True,
        "Serve tiles aligned to the pyramid as their stored JPEG bytes (ingest quality) instead of re-encoding them.",
    )
    iiif_cache_control: str = setting("public, max-age=86400", "Cache-Control header on IIIF images and info.json.")
    iiif_render_concurrency: int = setting(0, "Images rendered at once per worker; 0 means the CPU count.")
    iiif_gif_max_area: int = setting(2_000_000, "Most pixels of a GIF the image server renders (slow to encode).")
    iiif_png_max_area: int = setting(16_000_000, "Most pixels of a PNG the image server renders (slow, large).")
    iiif_render_timeout: int = setting(20, "Seconds a render may take before it is stopped (503); 0: no limit.")
    iiif_render_queue: int = setting(16, "Renders that may wait for a busy worker's render slots; more get 503.")
    iiif_render_queue_wait: int = setting(2, "Seconds a render waits for a slot before a 503 with Retry-After.")
    oai_page_size: int = setting(500, "Records per OAI-PMH list response before a resumption token.")
    oai_token_lifetime_hours: int = setting(24, "How long an OAI-PMH resumption token stays valid.")
    search_candidates: int = setting(
        1000,
        "Matches of a word search ranked for its list of results, at most (the first found that pass its filters); "
        "its total and facets still count every match.",
    )
    search_count_budget_ms: int = setting(
        50,
        "How long a search waits for its total and facets when they are not counted yet for the catalog as it is; "
        "past it the page shows its results and says it is counting (or shows the recent earlier counts, marked).",
    )
    search_stale_seconds: int = setting(
        60,
        "After a change, how long a search may show the counts of the catalog before it, marked as such, "
        "while they are recounted in the background (0: never).",
    )
    iiif_collection_page_size: int = setting(
        1000, "Manifests per IIIF collection document; a larger collection is split into sub-collections this size."
    )
    iiif_discovery_page_size: int = setting(
        100,
        "Activities per IIIF Change Discovery page. A full page never changes; changing this renumbers every page.",
    )
    fixity_cycle_days: int = setting(90, "Every stored file is fixity-checked at least once in this many days.")
    fetch_allowed_hosts: tuple[str, ...] = setting(
        (), "Hosts a bag's fetch.txt may name (comma separated); empty refuses every fetch.txt."
    )
    archive_max_bytes: int = setting(20 * 1024**3, "Largest unpacked size of an uploaded bag archive.")
    upload_max_bytes: int = setting(5 * 1024**3, "Largest upload accepted by the admin API and the staff ingest page.")
    ingest_allowed_roots: tuple[str, ...] = setting(
        (), "Folders the admin API may ingest server-side bags from (comma separated); empty refuses every path."
    )
    queue_url: str = setting(
        "",
        "Task queue (Huey): sqlite:///path, postgresql://... or redis://host:port/db. Default: beside the catalog "
        "(a SQLite file in its folder, or the catalog's PostgreSQL server).",
    )
    queue_lease_seconds: int = setting(
        30,
        "A running task's lease: its worker renews it every third of this; a task whose lease runs out "
        "(its worker died) is delivered to a worker again.",
    )
    queue_attempts: int = setting(
        3, "Attempts of a task that meets transient storage or database errors before it stays failed."
    )
    queue_retry_seconds: int = setting(5, "Wait before a task's second attempt; doubled before each further one.")
    worker_threads: int = setting(1, "Tasks one `muniment worker` runs at once (each ingest uses every core).")
    queue_fanout_pages: int = setting(
        100,
        "A queued item with at least this many pages has each page's pyramid and thumbnail made by a task of its "
        "own, spread over every worker; 0 keeps every item in one task.",
    )
    worker_heartbeat: str = setting(
        "",
        "A file `muniment worker` touches each time it renews its leases (every third of QUEUE_LEASE_SECONDS), "
        "for a healthcheck to read its age; empty for none.",
    )
    serve_worker: bool = setting(
        True, "`muniment serve` starts one task worker process beside the web workers; off when workers run elsewhere."
    )
    staff_session_hours: int = setting(12, "How long a staff sign-in lasts before the staff pages ask again.")
    staff_sign_in_failures: int = setting(
        5, "Failed staff sign-ins for one account (four times as many from one address) before sign-in is paused."
    )
    staff_sign_in_pause_minutes: int = setting(
        15, "How long staff sign-in stays paused after too many failures, and the window they are counted in."
    )
    iiif_auth_token_seconds: int = setting(
        300, "Lifetime of an IIIF Authorization Flow access token (each is bound to its session and origin)."
    )
    iiif_auth_public_size: int = setting(
        400,
        "Longest side, in pixels, of the images anyone may have of a restricted item whose access tier is `small` "
        "(thumbnails and small sizes public, the full image for signed-in readers).",
    )
    iiif_auth_kiosk_ranges: tuple[str, ...] = setting(
        (),
        "Reading-room address ranges (CIDR, comma separated) whose readers see restricted images without signing "
        "in (the IIIF `kiosk` access service); the address is the one TRUSTED_PROXIES' X-Forwarded-For names. "
        "Empty: no kiosk.",
    )
    iiif_auth_external_header: str = setting(
        "",
        "A request header in which a trusted proxy (TRUSTED_PROXIES) names a reader it has signed in (the IIIF "
        "`external` access service), e.g. X-Remote-User; believed only from a trusted proxy. Empty: none.",
    )
    ocr: bool = setting(
        True, "Read each page's text with Tesseract after ingest (queued tasks) and on `muniment ocr`; false for none."
    )
    ocr_default_languages: str = setting(
        "eng", "Tesseract languages (joined by +) for items whose record names no installed language."
    )
    ocr_page_timeout_seconds: float = setting(
        120.0, "Longest OCR of one page; a page that takes longer fails (and is retried) without failing its item."
    )
    text_pages_per_part: int = setting(
        20, "Pages of an item's text view (/items/ID/text) shown at once; a longer item's text comes in parts."
    )
    fixity_schedule: str = setting(
        "0 3 * * *",
        "When workers run the daily fixity budget (a 1/FIXITY_CYCLE_DAYS share of the stored bytes, least recently "
        "checked first): cron fields minute hour day month weekday, in UTC; empty turns it off.",
    )
    replication_schedule: str = setting(
        "*/15 * * * *",
        "When workers copy to the replica what it lacks (catch-up after an outage), as cron fields in UTC; "
        "empty turns it off. Nothing runs without MUNIMENT_REPLICA_STORAGE.",
    )
    derivative_scan_schedule: str = setting(
        "0 4 * * 0",
        "When workers check every page's pyramid and thumbnail in access storage and make again the missing or "
        "unreadable ones, as cron fields in UTC; empty turns it off.",
    )
    log_level: str = setting("INFO", "Logging level: DEBUG, INFO, WARNING or ERROR.")

    # -- derived locations ------------------------------------------------------------------

    @property
    def preservation_location(self) -> str:
        return self.preservation_storage or str(self.data_dir / "preservation")

    @property
    def access_location(self) -> str:
        return self.access_storage or str(self.data_dir / "access")

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'catalog.sqlite3'}"

    @property
    def staging_path(self) -> Path:
        return Path(self.staging_dir) if self.staging_dir else self.data_dir / "staging"

    @property
    def cpu_count(self) -> int:
        return os.cpu_count() or 1

    def effective_workers(self, value: int) -> int:
        return value if value > 0 else self.cpu_count

    # -- building -------------------------------------------------------------------------

    @classmethod
    def load(cls, config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then the TOML file, then ``MUNIMENT_*`` variables; unknown names are errors."""
        environ = os.environ if environ is None else environ
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(_read_toml(config_file, known))
        for name, raw in environ.items():
            if not name.startswith(ENV_PREFIX) or name == "MUNIMENT_CONFIG":
                continue
            key = name[len(ENV_PREFIX) :].lower()
            if key not in known:
                raise ConfigError(f"unknown setting {name}: the settings table in README.md lists every setting")
            values[key] = _coerce(known[key], raw, name)
        return cls(**values)

    def describe(self) -> list[tuple[str, str, str]]:
        """(environment variable, effective value with secrets masked, help) for every setting."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = ("*" * 8 if value else "") if f.metadata.get("secret") else _show(value)
            rows.append((ENV_PREFIX + f.name.upper(), shown, f.metadata["help"]))
        return rows


def _read_toml(path: Path, known: Mapping[str, dataclasses.Field[Any]]) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    values = {}
    for key, raw in data.items():
        if key not in known:
            raise ConfigError(f"unknown setting {key!r} in {path}")
        values[key] = _coerce(known[key], raw, f"{key} in {path}")
    return values


def _coerce(f: dataclasses.Field[Any], raw: Any, where: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    try:
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            return int(str(raw).replace("_", ""))
        if kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            return float(str(raw).replace("_", ""))
        if kind == "Path":
            return Path(str(raw))
        if kind == "bool":
            return str(raw).lower() in ("1", "true", "yes", "on")
        if kind.startswith("tuple"):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except ValueError:
        raise ConfigError(f"setting {where} must be {kind}, got {raw!r}") from None


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)

"""What the admin API accepts and answers, as strict models: their JSON Schemas are the OpenAPI
document's components, so the document cannot drift from the validation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.json_schema import SkipJsonSchema

from app.api.dates import EMBARGO_SCHEMA, normalize_embargo
from app.api.dublin_core import DC_SCHEMA, check_dc
from repo.catalog.slugs import RESERVED_SLUGS, SLUG_PATTERN, slug_problem

# Text that both databases can store: no NUL or other C0 controls but tab and newlines, and no
# lone surrogates (JSON can spell them; neither UTF-8 nor PostgreSQL can hold them).
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text holds an unpaired surrogate") from None
    return value


Text = Annotated[str, Field(pattern=_TEXT, max_length=10_000), AfterValidator(_encodable)]
Line = Annotated[str, Field(pattern=_LINE, max_length=500), AfterValidator(_encodable)]


def _usable_slug(slug: str) -> str:
    problem = slug_problem(slug)  # the pattern passed already: what is left is a reserved name
    if problem:
        raise ValueError(problem)
    return slug


_SLUG_TEXT = "lower-case letters, digits, -; not a reserved name"
Slug = Annotated[
    str,
    Field(pattern=SLUG_PATTERN, description=_SLUG_TEXT, json_schema_extra={"not": {"enum": sorted(RESERVED_SLUGS)}}),
    AfterValidator(_usable_slug),
]
# A query parameter's schema says only the pattern: schemathesis cannot form negative cases of `not`.
SlugParameter = Annotated[str, Field(pattern=SLUG_PATTERN, description=_SLUG_TEXT), AfterValidator(_usable_slug)]
Visibility = Literal["public", "restricted", "embargoed"]
Status = Literal["active", "withdrawn", "purged"]
JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


def schema_extra(extra: dict[str, Any] | None = None) -> Any:
    """Adds ``extra`` to a model's JSON Schema and drops the ``default: null`` of optional fields
    (they are left out, never null)."""

    def edit(schema: dict[str, Any]) -> None:
        for prop in schema.get("properties", {}).values():
            if "default" in prop and prop["default"] is None:
                del prop["default"]
        schema.update(extra or {})

    return edit


class Body(BaseModel):
    """Every request body: unknown fields are errors, no type is coerced ("1" is not 1), and an
    optional field is left out rather than sent as null (the document says so too)."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=schema_extra())

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(str(k) for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"null is not a value for {', '.join(nulls)}: leave the field out")
        return data


class Query(BaseModel):
    """Query parameters: unknown ones are errors; numbers come as text, so they are converted."""

    model_config = ConfigDict(extra="forbid")


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors -----------------------------------------------------------------------------------


class ErrorBody(Answer):
    status: int
    message: str
    details: list[str] = Field(default_factory=list)


class Error(Answer):
    """The one error shape of the whole application (``app.errors``)."""

    error: ErrorBody


# -- collections ------------------------------------------------------------------------------


class CollectionCreate(Body):
    slug: Slug
    title: Annotated[Line, Field(min_length=1)]
    description: Text = ""
    rights: Line = ""


class CollectionUpdate(Body):
    title: Annotated[Line, Field(min_length=1)] | SkipJsonSchema[None] = None
    description: Text | SkipJsonSchema[None] = None
    rights: Line | SkipJsonSchema[None] = None


class CollectionOut(Answer):
    slug: str
    title: str
    description: str
    rights: str
    created: str
    modified: str


class CollectionList(Answer):
    collections: list[CollectionOut]


# -- items --------------------------------------------------------------------------------------


class ItemListQuery(Query):
    collection: Annotated[str, Field(max_length=200, pattern=_LINE)] | None = None
    status: Status | None = None
    visibility: Visibility | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0


class ItemOut(Answer):
    id: str
    collection: str
    title: str
    external_id: str | None
    visibility: Visibility
    embargo_until: str | None
    public: bool  # what an anonymous reader may see now
    status: str
    status_reason: str | None
    version: int
    page_count: int
    created: str
    datestamp: str


class PageOut(Answer):
    seq: int
    path: str
    label: str
    size: int
    sha512: str
    mime: str
    width: int
    height: int


class ItemDetail(ItemOut):
    pages: list[PageOut]
    dc: dict[str, list[str]]
    manifest: str


class ItemList(Answer):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class MetadataUpdate(Body):
    """Exactly one of: Dublin Core elements (``{"title": ["..."], ...}``) or a MODS record (XML text)."""

    model_config = ConfigDict(json_schema_extra=schema_extra({"oneOf": [{"required": ["dc"]}, {"required": ["mods"]}]}))

    dc: Annotated[dict[str, list[str]], WithJsonSchema(DC_SCHEMA), AfterValidator(check_dc)] | SkipJsonSchema[None] = (
        None
    )
    mods: (
        Annotated[str, Field(max_length=10 * 1024 * 1024, description="a MODS 3.x record"), AfterValidator(_encodable)]
        | SkipJsonSchema[None]
    ) = None

    @model_validator(mode="after")
    def _one_record(self) -> MetadataUpdate:
        if (self.dc is None) == (self.mods is None):
            raise ValueError("give exactly one of dc or mods")
        return self


class EditOut(Answer):
    item: ItemOut
    version: int  # the new version; 0 when the record equals the stored one
    changed: list[str]


class VisibilityUpdate(Body):
    model_config = ConfigDict(
        json_schema_extra=schema_extra(
            {
                "oneOf": [
                    {"properties": {"visibility": {"const": "embargoed"}}, "required": ["embargo_until"]},
                    {
                        "properties": {"visibility": {"enum": ["public", "restricted"]}},
                        "not": {"required": ["embargo_until"]},
                    },
                ]
            }
        )
    )

    visibility: Visibility
    embargo_until: (
        Annotated[str, WithJsonSchema(EMBARGO_SCHEMA), AfterValidator(normalize_embargo)] | SkipJsonSchema[None]
    ) = None

    @model_validator(mode="after")
    def _embargo_needs_a_date(self) -> VisibilityUpdate:
        if (self.visibility == "embargoed") != (self.embargo_until is not None):
            raise ValueError("embargo_until is required with visibility 'embargoed' and allowed with it only")
        return self


class Withdrawal(Body):
    reason: Annotated[Line, Field(min_length=1)]


class AccessTierUpdate(Body):
    tier: Annotated[
        Literal["restricted", "small", "inherit"],
        Field(
            description="small: anyone sees the restricted item's thumbnails and small sizes, readers the full "
            "image; restricted: nothing without sign-in; inherit: the item follows its collection"
        ),
    ]


class AccessTierOut(Answer):
    item: str
    tier: Literal["restricted", "small"]  # in effect
    own: bool  # set on the item itself (else its collection's, or the default)


# -- ingest jobs ----------------------------------------------------------------------------------


class PathIngest(Body):
    path: Annotated[Line, Field(min_length=1, description="a bag folder or archive under an allowed root")]
    collection: Slug | SkipJsonSchema[None] = None


class UploadQuery(Query):
    collection: SlugParameter | None = None
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")] | None = None


class JobListQuery(Query):
    state: JobState | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class ProblemOut(Answer):
    file: str
    reason: str
    line: int | None = None  # in the file, when the problem has one (a manifest's, a CSV's row)


class JobOut(Answer):
    id: str
    kind: Literal["path", "upload"]
    state: JobState
    source: str
    collection: str | None
    submitted_by: str
    created: str
    started: str | None
    finished: str | None
    result: str | None  # ingested | already-ingested | failed
    item_id: str | None
    message: str
    problems: list[ProblemOut]


class JobList(Answer):
    jobs: list[JobOut]


# -- jobs of every kind -----------------------------------------------------------------------------


class JobsQuery(Query):
    state: JobState | None = None
    kind: (
        Literal["folder", "batch", "bag", "path", "upload", "fixity", "replicate", "derivatives", "metadata"] | None
    ) = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class TaskOut(Answer):
    seq: int
    name: str
    state: JobState
    attempts: int
    worker: str  # who holds it while it runs
    started: str | None
    finished: str | None
    result: str | None  # ingested | already-ingested | failed
    item_id: str | None
    pages: int
    bytes: int
    message: str
    problems: list[ProblemOut]


class ProgressOut(Answer):
    tasks: int
    done: int  # succeeded, failed or cancelled
    succeeded: int
    failed: int
    pages: int
    bytes: int


class JobDetail(Answer):
    id: str
    kind: str
    state: JobState
    source: str
    collection: str | None
    submitted_by: str
    created: str
    started: str | None
    finished: str | None
    attempts: int
    progress: ProgressOut
    tasks: list[TaskOut]


class JobDetailList(Answer):
    jobs: list[JobDetail]


# -- reports --------------------------------------------------------------------------------------


class FixityRowOut(Answer):
    item: str
    copy_: str = Field(validation_alias="copy", serialization_alias="copy")  # ``copy`` is a BaseModel method
    path: str
    last_checked: str
    result: str
    detail: str


class FixityReportOut(Answer):
    generated: str
    cycle_days: int
    files: int
    bytes: int
    failed: list[FixityRowOut]
    both_copies_bad: list[FixityRowOut]
    never_checked: int
    never_checked_first: list[FixityRowOut]
    overdue: int
    overdue_first: list[FixityRowOut]
    unreplicated: list[str] | None


class AuditQuery(Query):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    before: Annotated[int, Field(ge=1, le=2**62)] | None = None
    actor: Annotated[str, Field(max_length=100, pattern=_LINE)] | None = None
    target: Annotated[str, Field(max_length=500, pattern=_LINE)] | None = None


class AuditEntry(Answer):
    id: int
    at: str
    actor: str
    token_id: str
    role: str
    action: str
    target: str
    outcome: int
    remote: str
    detail: str


class AuditList(Answer):
    entries: list[AuditEntry]
    next_before: int | None  # pass as ``before`` for older entries; null at the oldest

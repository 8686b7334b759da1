"""The OpenAPI 3.1 document is valid, and Schemathesis, fuzzing every operation in process with an
admin token and without one, finds no 5xx and no response that breaks the document."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from repo.auth import Role
from repo.settings import Settings
from tests.api.helpers import Repository, ingest_item, open_repository


def test_the_document_is_valid_openapi_3_1(repo: Repository) -> None:
    response = repo.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises OpenAPIValidationError naming what is wrong


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repository]:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "dropbox").mkdir()
    settings = Settings(
        data_dir=root / "data",
        ingest_workers=2,
        ingest_allowed_roots=(str(root / "dropbox"),),
        upload_max_bytes=1024 * 1024,
        ocr=False,  # the fuzzer's accepted uploads need no reading; the module ends when jobs do
    )
    for repository in open_repository(settings):
        ingest_item(repository.services, root / "scans", "MS-1")
        yield repository
        # The fuzzer's accepted ingests run on the worker beside the app; on a loaded 2-core machine
        # (CI runs everything at once) dozens of them can take longer than the default two minutes.
        repository.jobs.wait_idle(timeout=360)


EXPLORE = bool(os.environ.get("EXPLORE_FUZZ"))
# Each operation in turn, as Hypothesis strategies (Schemathesis's pytest loader needs a schema at
# import time, and building a repository then would slow every test run's collection).
OPERATIONS = [
    "listCollections",
    "getCollection",
    "createCollection",
    "updateCollection",
    "listItems",
    "getItem",
    "updateMetadata",
    "setVisibility",
    "setAccessTier",
    "withdrawItem",
    "ingestFromPath",
    "ingestUpload",
    "listIngests",
    "getIngest",
    "listJobs",
    "getJob",
    "fixityReport",
    "auditLog",
]


def _operations(repository: Repository) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", repository.app)
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.definition.raw["operationId"]] = operation
    return found


@pytest.mark.parametrize("operation_id", OPERATIONS)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_nothing(fuzzed: Repository, operation_id: str, mode: GenerationMode) -> None:
    if mode is GenerationMode.NEGATIVE and operation_id in ("listCollections", "fixityReport"):
        pytest.skip("no input to make invalid")
    operations = _operations(fuzzed)
    assert sorted(operations) == sorted(OPERATIONS)
    operation = operations[operation_id]
    examples = 25 if mode is GenerationMode.POSITIVE else 15

    @given(case=operation.as_strategy(generation_mode=mode), token=st.sampled_from([Role.ADMIN, None]))
    # The same examples on every run, so CI is reproducible; EXPLORE_FUZZ=1 draws new ones.
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not EXPLORE)
    def run(case: Case, token: Role | None) -> None:
        # A schema-valid path or MODS text is not a bag or a MODS record: those answer 422, rightly.
        unknowable = operation_id == "ingestFromPath" or (isinstance(case.body, dict) and "mods" in case.body)
        excluded = [positive_data_acceptance] if unknowable else []
        case.call_and_validate(headers=fuzzed.auth(token), excluded_checks=excluded)

    run()

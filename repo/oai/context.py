"""What every OAI-PMH request needs, built once per worker from the settings and the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from repo.auth.secret import instance_secret
from repo.catalog import Catalog, Database
from repo.oai.tokens import TokenCodec
from repo.oai.xmlwriter import RecordWriter
from repo.services import Services

PATH = "/oai"


@dataclass(frozen=True)
class OAIContext:
    catalog: Catalog
    repository_name: str
    base_url: str  # of the OAI-PMH endpoint itself, written in <request> and Identify
    repository_identifier: str
    admin_email: str
    page_size: int
    token_lifetime: timedelta
    codec: TokenCodec
    writer: RecordWriter

    @property
    def db(self) -> Database:
        return self.catalog.db

    @classmethod
    def from_services(cls, services: Services) -> OAIContext:
        s = services.settings
        return cls(
            catalog=services.catalog,
            repository_name=s.repository_name,
            base_url=s.base_url.rstrip("/") + PATH,
            repository_identifier=s.repository_identifier,
            admin_email=s.admin_email,
            page_size=max(1, s.oai_page_size),
            token_lifetime=timedelta(hours=max(1, s.oai_token_lifetime_hours)),
            codec=TokenCodec(instance_secret(s.secret_key, services.catalog.db)),
            writer=RecordWriter(s.repository_identifier),
        )

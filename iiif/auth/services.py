"""The IIIF Authorization Flow services as JSON: 2.0 (a probe service holding the access services,
each holding its token and logout services) and, beside it, 1.0 (login holding token and logout),
for viewers that speak only 1.0 (Mirador 4). Both are declared in each restricted image's info.json
(where the 2.0 specification requires the probe) and with its image service in the manifest; the
same URLs serve everyone.

The probe carries a ``profile`` (its type) that 2.0 does not define: Mirador 4 reads the profile of
every service beside its 1.0 login service and stops with a TypeError at one without."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from repo.settings import Settings

AUTH2_CONTEXT = "http://iiif.io/api/auth/2/context.json"
AUTH1_CONTEXT = "http://iiif.io/api/auth/1/context.json"
AUTH1 = "http://iiif.io/api/auth/1/"
JsonDict = dict[str, Any]


def _en(text: str) -> JsonDict:
    return {"en": [text]}


@dataclass(frozen=True)
class AuthUrls:
    base_url: str

    def _at(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/iiif/auth/{path}"

    def probe(self, identifier: str) -> str:
        return self._at(f"2/probe/{quote(identifier, safe='~')}")

    @property
    def access(self) -> str:  # the active sign-in window (2.0), and the 1.0 login service
        return self._at("access")

    @property
    def kiosk(self) -> str:
        return self._at("kiosk")

    @property
    def token2(self) -> str:
        return self._at("2/token")

    @property
    def token1(self) -> str:
        return self._at("1/token")

    @property
    def logout(self) -> str:
        return self._at("logout")


@dataclass(frozen=True)
class AuthServices:
    urls: AuthUrls
    repository: str
    kiosk: bool = False  # reading-room ranges are set
    external: bool = False  # a trusted proxy names readers

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthServices:
        return cls(
            AuthUrls(settings.base_url),
            settings.repository_name,
            kiosk=bool(settings.iiif_auth_kiosk_ranges),
            external=bool(settings.iiif_auth_external_header),
        )

    def _token_and_logout(self) -> list[JsonDict]:
        return [
            {
                "id": self.urls.token2,
                "type": "AuthAccessTokenService2",
                "errorHeading": _en("Not signed in"),
                "errorNote": _en(f"Sign in to {self.repository} to see this image."),
            },
            {"id": self.urls.logout, "type": "AuthLogoutService2", "label": _en(f"Sign out of {self.repository}")},
        ]

    def access_services(self) -> list[JsonDict]:
        services: list[JsonDict] = [
            {
                "id": self.urls.access,
                "type": "AuthAccessService2",
                "profile": "active",
                "label": _en(f"Sign in to {self.repository}"),
                "heading": _en("This image is restricted"),
                "note": _en(f"Readers with an account at {self.repository} may see it: sign in in a new window."),
                "confirmLabel": _en("Sign in"),
                "service": self._token_and_logout(),
            }
        ]
        if self.kiosk:
            services.append(
                {
                    "id": self.urls.kiosk,
                    "type": "AuthAccessService2",
                    "profile": "kiosk",
                    "service": self._token_and_logout(),
                }
            )
        if self.external:
            services.append(
                {
                    "type": "AuthAccessService2",
                    "profile": "external",
                    "label": _en(f"Signed in through {self.repository}'s sign-on"),
                    "service": self._token_and_logout(),
                }
            )
        return services

    def probe_service(self, identifier: str) -> JsonDict:
        return {
            "id": self.urls.probe(identifier),
            "type": "AuthProbeService2",
            "profile": "AuthProbeService2",  # for Mirador 4 (see the module doc)
            "service": self.access_services(),
        }

    def login_service(self) -> JsonDict:
        """The 1.0 login service (a service of its own: it carries its own context)."""
        return {
            "@context": AUTH1_CONTEXT,
            "@id": self.urls.access,
            "@type": "AuthCookieService1",  # the type Presentation 3.0 gives the 1.0 services
            "profile": AUTH1 + "login",
            "label": f"Sign in to {self.repository}",
            "header": "This image is restricted",
            "description": f"Readers with an account at {self.repository} may see it.",
            "confirmLabel": "Sign in",
            "failureHeader": "Not signed in",
            "failureDescription": "The sign-in did not succeed, or your account may not see this image.",
            "service": [
                {"@id": self.urls.token1, "@type": "AuthTokenService1", "profile": AUTH1 + "token"},
                {
                    "@id": self.urls.logout,
                    "@type": "AuthLogoutService1",
                    "profile": AUTH1 + "logout",
                    "label": f"Sign out of {self.repository}",
                },
            ],
        }

    def image_services(self, identifier: str) -> tuple[JsonDict, ...]:
        """What a restricted image's info.json (and its image service in a manifest) declares."""
        return (self.login_service(), self.probe_service(identifier))


def declare_on_manifest(manifest: JsonDict, services: AuthServices) -> None:
    """Add the authorization services to each image service of ``manifest``, and the 2.0 context
    before the Presentation API's."""
    for canvas in manifest.get("items", []):
        for page in canvas.get("items", []):
            for annotation in page.get("items", []):
                for service in annotation.get("body", {}).get("service", []):
                    if service.get("type") == "ImageService3":
                        identifier = unquote(str(service["id"]).rsplit("/", 1)[-1])
                        service["service"] = list(services.image_services(identifier))
    context = manifest.get("@context")
    contexts = context if isinstance(context, list) else [context] if context else []
    if AUTH2_CONTEXT not in contexts:
        manifest["@context"] = [AUTH2_CONTEXT, *contexts]

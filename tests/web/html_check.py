"""A few accessibility checks on server-rendered HTML, with the standard library's parser."""

from __future__ import annotations

from html.parser import HTMLParser

_UNLABELLED_OK = {"hidden", "submit", "button", "reset", "image"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.images_without_alt: list[str] = []
        self.controls: list[tuple[str, str, bool]] = []  # id, name, has aria-label
        self.label_targets: set[str] = set()
        self.h1 = 0
        self.links: list[str] = []
        self.has_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        elif tag == "img" and "alt" not in a:
            self.images_without_alt.append(a.get("src", "?"))
        elif tag in ("input", "select", "textarea") and a.get("type", "") not in _UNLABELLED_OK:
            self.controls.append((a.get("id", ""), a.get("name", ""), "aria-label" in a))
        elif tag == "label" and a.get("for"):
            self.label_targets.add(a["for"])
        elif tag == "h1":
            self.h1 += 1
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "main":
            self.has_main = True


def check_page(html: str) -> list[str]:
    """Problems found: missing lang, images without alt, unlabelled controls, not one h1, no main."""
    page = _Collector()
    page.feed(html)
    problems = []
    if not page.lang:
        problems.append("<html> has no lang")
    problems += [f"img without alt: {src}" for src in page.images_without_alt]
    problems += [
        f"control without a label: {name or id_}"
        for id_, name, aria in page.controls
        if not aria and id_ not in page.label_targets
    ]
    if page.h1 != 1:
        problems.append(f"{page.h1} h1 headings")
    if not page.has_main:
        problems.append("no <main>")
    return problems


def links(html: str) -> list[str]:
    page = _Collector()
    page.feed(html)
    return page.links

"""The top navigation: the dashboard and the member table always in sight, everything else in
two <details> menus (Loyalty, Data) and, on a phone, in one Menu drawer holding the same links.
Each role is offered exactly the pages it was offered before the menus; the page's own section
is marked current, and so is the menu that holds it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import translation

from tests.conftest import PASSWORD
from tiercard.web.templatetags.tiercard_web import NAV_MENUS, NAV_SECTIONS

pytestmark = pytest.mark.django_db

DAILY = {"/dashboard/", "/customers/", "/service/"}  # every role reads the service queue
LOYALTY = {"/programme/points/", "/programme/rewards/"}
ADMIN_LOYALTY = {"/programme/", "/programme/benefits/", "/card-templates/"}
APPROVALS = {"/approvals/"}  # those who ask for or decide tier overrides
ALLOWED = {
    "admin": DAILY
    | LOYALTY
    | APPROVALS
    | ADMIN_LOYALTY
    | {"/imports/", "/exports/", "/duplicates/"},
    "mgr_east": DAILY | LOYALTY | APPROVALS | {"/imports/", "/exports/", "/duplicates/"},
    "rep_east1": DAILY | LOYALTY | APPROVALS | {"/imports/"},
    "service": DAILY | LOYALTY | {"/imports/"},
    "marketing": DAILY | LOYALTY | {"/exports/"},
}


class TopBar(HTMLParser):
    """Collects, from the page's top bar, the links of the main navigation (outside and inside
    its menus), the links of the phone drawer, the summaries of the menus and which of them are
    marked current."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.main: list[str] = []
        self.drawer: list[str] = []
        self.current: list[str] = []
        self.summaries: list[tuple[str, bool]] = []  # (menu kind, marked current)
        self._summary: tuple[str, bool] | None = None
        self._text = ""

    def _inside(self, tag: str, css: str) -> bool:
        return any(t == tag and css in a.get("class", "").split() for t, a in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "a" and self._inside("header", "topbar"):
            href = named["href"]
            if self._inside("nav", "mainnav"):
                self.main.append(href)
            elif self._inside("details", "navmenu--drawer"):
                self.drawer.append(href)
            if named.get("aria-current") == "page":
                self.current.append(href)
        if tag == "summary":
            self._summary = ("", "is-active" in named.get("class", "").split())
            self._text = ""
        if tag not in {"input", "br", "meta", "link", "img", "hr"}:
            self.stack.append((tag, named))

    def handle_data(self, data: str) -> None:
        if self._summary is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary" and self._summary is not None:
            self.summaries.append((" ".join(self._text.split()), self._summary[1]))
            self._summary = None
        if any(t == tag for t, _ in self.stack):
            while self.stack.pop()[0] != tag:
                pass


def signed_in(user, language: str = "en") -> Client:
    user.language = language  # labels are asserted in English unless a test says otherwise
    user.save(update_fields=["language"])
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def top_bar(client: Client, url: str) -> TopBar:
    with translation.override("en"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    parser = TopBar()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_is_offered_exactly_its_pages_on_desktop_and_phone(users, role):
    bar = top_bar(signed_in(users[role]), "/customers/")

    assert set(bar.main) == ALLOWED[role]
    assert len(bar.main) == len(ALLOWED[role])  # each link once
    # The phone drawer holds the menus' links; the daily two stay in the bar itself.
    assert set(bar.drawer) == ALLOWED[role] - DAILY
    assert len(bar.drawer) == len(ALLOWED[role] - DAILY)


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_every_offered_page_opens_for_that_role(users, role):
    client = signed_in(users[role])
    for href in sorted(ALLOWED[role]):
        assert client.get(href).status_code == 200, href


def test_admin_sees_the_programme_link_and_the_current_section(users):
    client = signed_in(users["admin"])
    page = client.get("/programme/rewards/").content.decode()

    assert 'href="/programme/"' in page
    assert 'class="is-active" aria-current="page" href="/programme/rewards/"' in page
    assert 'class="is-active" aria-current="page" href="/customers/"' not in page
    bar = top_bar(client, "/programme/rewards/")
    assert set(bar.current) == {"/programme/rewards/"}  # in the menu and in the drawer
    assert ("Loyalty", True) in bar.summaries
    assert ("Data", False) in bar.summaries


@pytest.mark.parametrize("role", ["rep_east1", "mgr_east", "service", "marketing"])
def test_other_roles_get_no_programme_link(users, role):
    page = signed_in(users[role]).get("/customers/").content.decode()

    assert 'href="/programme/"' not in page
    assert 'href="/card-templates/"' not in page
    assert 'class="is-active" aria-current="page" href="/customers/"' in page


@pytest.mark.parametrize(
    ("url", "current", "menu"),
    [
        ("/dashboard/", "/dashboard/", ""),
        ("/customers/", "/customers/", ""),
        ("/imports/new/", "/imports/", "Data"),
        ("/exports/", "/exports/", "Data"),
        ("/duplicates/merges/", "/duplicates/", "Data"),
        ("/programme/points/", "/programme/points/", "Loyalty"),
        ("/card-templates/", "/card-templates/", "Loyalty"),
    ],
)
def test_the_current_page_and_its_menu_are_marked(users, url, current, menu):
    bar = top_bar(signed_in(users["admin"]), url)

    assert set(bar.current) == {current}
    marked = {text for text, active in bar.summaries if active}
    # The phone's Menu button is marked too when the page sits in one of the menus.
    assert marked == ({menu, "Menu"} if menu else set())


def test_the_menus_are_details_that_work_without_javascript(users):
    # Chinese: the English help text of the menus says "opens", which the open-check below
    # would mistake for an open attribute.
    page = signed_in(users["admin"], "zh-hans").get("/customers/").content.decode()

    assert page.count('<details class="navmenu" name="topbar-menu" data-navmenu>') == 2
    assert 'class="navmenu navmenu--account"' in page
    assert 'class="navmenu navmenu--drawer"' in page
    assert "<details" in page and " open" not in page.split("<main", 1)[0]  # all start closed
    assert 'src="/static/tiercard/nav.js"' in page or "tiercard/nav." in page


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), pattern.name


SECTION_OF_PREFIX = [
    ("programme/points/", "points"),
    ("programme/rewards/", "rewards"),
    ("programme/benefits/", "benefits"),
    ("programme/", "programme"),
    ("card-templates/", "card_templates"),
    ("imports/", "imports"),
    ("exports/", "exports"),
    ("duplicates/", "duplicates"),
]


def test_every_page_outside_the_customer_pages_names_its_section():
    """A page added under a menu's prefix without a NAV_SECTIONS entry would mark Customers."""
    checked = 0
    for route, name in _routes(get_resolver().url_patterns):
        for prefix, section in SECTION_OF_PREFIX:
            if route.startswith(prefix):
                if not route.endswith((".xlsx", ".csv", ".pdf")):
                    assert NAV_SECTIONS.get(name) == section, name
                    assert NAV_MENUS[section] in {"loyalty", "data"}
                    checked += 1
                break
    assert checked >= 20

"""Formatting filters for templates. They format; they never decide or query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.safestring import SafeString

from tiercard.web import display
from tiercard.web.widgets import plain_widget

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """``¥1,234.50`` (two decimals, grouped), or a dash."""
    return display.money(value)


@register.filter
def count(value: int | None) -> str:
    """``1,745,426`` in every language (see ``display.count``), or a dash."""
    return display.count(value)


@register.filter
def when(value: dt.datetime | None) -> str:
    """A date and time in the business time zone, in the page's language."""
    return display.datetime(value)


@register.filter
def day(value: dt.date | dt.datetime | None) -> str:
    """A long date in the page's language (``2024年5月1日`` / ``May 1, 2024``)."""
    if isinstance(value, dt.datetime):
        return display.date(timezone.localtime(value).date())
    return display.date(value)


@register.filter
def plain(field: BoundField) -> SafeString:
    """The field's widget as ``{{ field }}`` prints it, without Django's widget templates."""
    return plain_widget(field)


@register.filter
def monogram(name: str) -> str:
    """The first character of a name, for the avatar circle."""
    return display.monogram(name)


NAV_SECTIONS = {
    "dashboard": "dashboard",
    "loyalty_points": "points",
    "loyalty_rewards": "rewards",
    "loyalty_reward_new": "rewards",
    "loyalty_reward_edit": "rewards",
    "loyalty_versions": "programme",
    "loyalty_version": "programme",
    "loyalty_draft": "programme",
    "loyalty_editor": "programme",
    "loyalty_benefits": "benefits",
    "loyalty_dry_run": "programme",
    "loyalty_apply": "programme",
    "card_templates": "card_templates",
    "card_template_edit": "card_templates",
    "data_exports": "exports",
    "dedupe_queue": "duplicates",
    "dedupe_scan": "duplicates",
    "dedupe_pair": "duplicates",
    "dedupe_dismiss": "duplicates",
    "dedupe_merges": "duplicates",
    "dedupe_merge_done": "duplicates",
    "dedupe_unmerge": "duplicates",
    "import_list": "imports",
    "import_new": "imports",
    "import_detail": "imports",
    "import_mapping": "imports",
    "import_commit": "imports",
    "import_undo": "imports",
    "override_approvals": "approvals",
    "service_queue": "service",
    "service_ticket": "service",
    "service_respond": "service",
    "service_resolve": "service",
    "service_reopen": "service",
    "service_assign": "service",
}

# The two menus of the top bar and the sections each gathers; the dashboard and the customer
# pages stay outside any menu (staff go there all day).
NAV_MENUS = {
    "points": "loyalty",
    "approvals": "loyalty",
    "rewards": "loyalty",
    "programme": "loyalty",
    "benefits": "loyalty",
    "card_templates": "loyalty",
    "imports": "data",
    "exports": "data",
    "duplicates": "data",
}


@register.filter
def nav_section(url_name: str | None) -> str:
    """Which top navigation item a page belongs to; customer pages are the default."""
    return NAV_SECTIONS.get(url_name or "", "customers")


@register.filter
def nav_menu(section: str) -> str:
    """Which top bar menu holds a section ("" for the dashboard and the customer pages)."""
    return NAV_MENUS.get(section, "")

"""The search box in the page header: results as you type (an htmx partial).

The box is a form on the customer list (``?q=``), so without JavaScript Enter still lists
the matches; with it, the dropdown shows the best few and Enter opens the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from tiercard.accounts.models import User
from tiercard.customers import masking
from tiercard.customers.search import SearchHit, SearchQuery, customer_search
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import active_programme
from tiercard.web.errors import web_view
from tiercard.web.requests import viewer

DROPDOWN_LIMIT = 8


@dataclass(frozen=True)
class SearchRow:
    pk: int
    url: str
    name: str
    pinyin: str
    phone: str  # masked for roles that see masked data
    company: str
    tier_name: str
    tier_colour: str
    archived: bool


def search_rows(user: User, hits: list[SearchHit]) -> list[SearchRow]:
    """Rows for the dropdown: two queries whatever the number of hits (memberships, ladder)."""
    if not hits:
        return []
    ladder = active_programme().programme.ladder
    held = dict(
        Membership.objects.filter(customer_id__in=[h.customer.pk for h in hits]).values_list(
            "customer_id", "tier"
        )
    )
    tiers = {t.code: t for t in ladder.tiers}
    english = (get_language() or "").startswith("en")
    rows = []
    for hit in hits:
        c = hit.customer
        # No membership row yet, or a code an older ladder had: the lowest tier.
        tier = tiers.get(held.get(c.pk, ""), ladder.lowest)
        rows.append(
            SearchRow(
                pk=c.pk,
                url=reverse("web:customer_detail", args=[c.pk]),
                name=c.name,
                pinyin=c.name_pinyin,
                phone=masking.customer_phone(user, c),
                company=c.company_name,
                tier_name=tier.name_en if english else tier.name_zh,
                tier_colour=tier.colour,
                archived=c.status == "archived",
            )
        )
    return rows


@web_view
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    user = viewer(request)
    raw = request.GET.get("q", "")
    query = SearchQuery.parse(raw)
    hits = customer_search(user, raw, limit=DROPDOWN_LIMIT)
    context = {
        "query": query.raw,
        "rows": search_rows(user, hits),
        "list_url": reverse("web:customer_list") + "?" + urlencode({"q": query.raw}),
        "usable": bool(query.kind),
    }
    return render(request, "web/search/results.html", context)

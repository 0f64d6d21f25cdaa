"""What the card reads once and shows in two places: the notes panel takes the newest notes
from the timeline's first page, and shows exactly what its own query shows."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from tiercard.cards.notes import note_add

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def notes_panel(html: bytes) -> str:
    found = re.search(r'<section id="card-notes".*?</section>', html.decode(), re.S)
    assert found is not None
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", found.group(0))


@pytest.mark.parametrize("count", [0, 4, 5, 6, 25])
def test_the_notes_panel_is_the_same_whether_the_timeline_read_the_notes_or_not(
    login: Callable[[str], Client], book: dict, users: dict, count: int
) -> None:
    customer = book["east1"]
    for n in range(count):
        note_add(actor=users["rep_east1"], customer_id=customer.pk, body=f"备注第{n}条")
    client = login("rep_east1")
    card = f"/customers/{customer.pk}/"
    from_timeline = notes_panel(client.get(card).content)
    # A filtered timeline does not read the notes: the panel reads them itself.
    own_query = notes_panel(client.get(f"{card}?kind=purchase").content)
    part = notes_panel(client.get(f"{card}part/notes/", headers=HTMX).content)
    assert from_timeline == own_query == part
    shown = re.findall(r"备注第(\d+)条", from_timeline)
    assert shown == [str(n) for n in range(count - 1, max(count - 6, -1), -1)]  # newest 5
    assert ("?kind=note#timeline" in from_timeline) == (count > 5)

"""``tiercard.web.widgets.plain_widget`` prints exactly what Django's widget templates print,
for every field of the forms the card and the member table show, blank, bound, with errors
(aria-invalid, aria-describedby), with values that need escaping, in both languages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django import forms
from django.http import QueryDict
from django.utils import translation

from tiercard.tiers.programme import default_programme
from tiercard.web import card_forms
from tiercard.web import forms as web_forms
from tiercard.web.member_table import MemberTableForm
from tiercard.web.widgets import plain_widget

OWNERS = [(1, "王建国 · 华东"), (2, 'A & "B" <c>')]


def _forms() -> Iterator[forms.Form]:
    ladder = default_programme().ladder
    yield MemberTableForm(QueryDict(""), ladder=ladder, owners=OWNERS)
    yield MemberTableForm(
        QueryDict(
            "q=<b>&tier=vip&city=西安&tag=a%26b&owner=2&status=all&kind=company"
            "&purchased_from=2025-13-01&purchased_to=2025-01-01&min_spend=abc&max_spend=-5"
            "&sort=points&per_page=50"
        ),
        ladder=ladder,
        owners=OWNERS,
    )
    yield MemberTableForm(
        QueryDict("min_spend=500&max_spend=100&purchased_from=2026-01-01&purchased_to=2025-01-01"),
        ladder=ladder,
    )
    yield card_forms.OwnerForm(owners=OWNERS, initial={"owner_id": 2})
    yield card_forms.OwnerForm(owners=OWNERS, initial={"owner_id": ""})
    yield card_forms.OwnerForm({"owner_id": "99"}, owners=OWNERS)  # not a choice: an error
    yield card_forms.OwnerForm({"owner_id": "1"}, owners=OWNERS)
    yield card_forms.TagForm()
    yield card_forms.TagForm({"tag": ""})  # required: an error
    yield card_forms.TagForm({"tag": 'x" onclick="y'})
    yield card_forms.NoteForm({"body": ""})  # a textarea: Django's own rendering
    yield web_forms.PurchaseForm.blank()
    yield web_forms.PurchaseForm({"occurred_at": "not a time", "discount": "x"})
    yield web_forms.InteractionForm.blank([(5, "甲")])
    yield web_forms.InteractionForm({"kind": "nope"}, contacts=[(5, "甲")])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_plain_widgets_print_what_django_prints(language: str) -> None:
    checked = 0
    with translation.override(language):
        for form in _forms():
            form.is_bound and form.is_valid()
            for field in form:
                assert str(plain_widget(field)) == str(field), (type(form).__name__, field.name)
                checked += 1
    assert checked > 40

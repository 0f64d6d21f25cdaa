"""Forms of the card's quick actions that are not about purchases or interactions: a note, a
new owner, a tag. Shape only; the services in ``cards.notes`` and ``customers.card_actions``
check the rules, and their field errors land beside these fields (same names)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercard.cards.notes import MAX_NOTE
from tiercard.customers.card_actions import TAG_MAX


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What should colleagues know about this customer?")}
        ),
        error_messages={"required": _("Write something first.")},
    )


class OwnerForm(forms.Form):
    owner_id = forms.ChoiceField(label=_("Account manager"), required=False)

    def __init__(self, *args: object, owners: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["owner_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Nobody (unassigned)")), *owners]


class TagForm(forms.Form):
    tag = forms.CharField(
        label=_("Tag"),
        max_length=TAG_MAX,
        error_messages={"required": _("Enter a tag.")},
        widget=forms.TextInput(attrs={"list": "tag-options", "autocomplete": "off"}),
    )

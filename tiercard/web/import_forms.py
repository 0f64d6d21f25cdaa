"""Forms of the import pages: upload, column mapping, commit and undo confirmations.

The forms only shape the input; the import services decide what is valid and their errors are
shown beside the fields (``mapping`` errors above the column table).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercard.accounts.models import User
from tiercard.imports import headers as h
from tiercard.imports.models import (
    CUSTOMER_KEYS,
    LINK_KEYS,
    ImportBatch,
    ImportKind,
    ImportMode,
    MappingProfile,
    MatchKey,
)
from tiercard.imports.permissions import can_import

IGNORE = ""


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "Excel (.xlsx) or CSV (UTF-8, or GBK as Chinese Excel saves it). The first sheet "
            "is read; the first row with two or more filled cells is the header."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt,.tsv"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [(k, label) for k, label in ImportKind.choices if can_import(user, k)]
        kind.initial = kind.choices[0][0] if kind.choices else None


def key_choices(kind: str) -> list[tuple[str, str]]:
    keys = CUSTOMER_KEYS if kind == ImportKind.CUSTOMERS else LINK_KEYS
    return [(str(k), str(MatchKey(k).label)) for k in keys]


class MappingForm(forms.Form):
    """One select per source column (``col_<index>``), plus mode, key and profile saving."""

    mode = forms.ChoiceField(label=_("Mode"), choices=ImportMode.choices)
    match_key = forms.ChoiceField(label=_("Match existing customers by"))
    profile_name = forms.CharField(
        label=_("Save this mapping as"),
        required=False,
        max_length=80,
        help_text=_("Optional. The next file with the same headers is mapped the same way."),
    )
    share_profile = forms.BooleanField(label=_("Share with everyone"), required=False)

    def __init__(
        self,
        *args: Any,
        batch: ImportBatch,
        mapping: dict[int, str],
        can_share: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch
        choices = [(IGNORE, _("— do not import —"))] + [
            (spec.name, spec.label) for spec in h.fields_for(batch.kind)
        ]
        for index, _header in enumerate(batch.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=choices, required=False, initial=mapping.get(index, IGNORE)
            )
        key = self.fields["match_key"]
        assert isinstance(key, forms.ChoiceField)
        key.choices = key_choices(batch.kind)
        if batch.kind != ImportKind.CUSTOMERS:
            key.label = _("Find each row's customer by")
        self.fields["mode"].initial = batch.mode
        key.initial = batch.match_key
        if not can_share:
            del self.fields["share_profile"]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.batch.headers))]

    def chosen_mapping(self) -> dict[int, str]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            i: str(data.get(f"col_{i}") or "")
            for i in range(len(self.batch.headers))
            if data.get(f"col_{i}")
        }


class ProfileChoiceForm(forms.Form):
    profile = forms.ChoiceField(label=_("Load a saved mapping"), required=False)

    def __init__(self, *args: Any, profiles: Sequence[MappingProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["profile"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a profile"))] + [
            (str(p.pk), f"{p.name}" + (f" ({_('shared')})" if p.shared else "")) for p in profiles
        ]


class CommitForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows and import the others"),
        required=False,
        help_text=_("Without this, the import is all or nothing: one invalid row stops it."),
    )
    confirm = forms.BooleanField(
        label=_("I have checked the counts above and want to import now"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class UndoForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Undo this import: archive the customers it created and put back what it changed"),
        error_messages={"required": _("Tick the box to confirm.")},
    )

"""Forms of the loyalty pages. Shape only: every rule is the service's, whose field errors are
put back beside the fields (``forms.apply_errors``).

Each action form carries a fresh idempotency key as a hidden field, generated when the form is
rendered: submitting the same form twice replays the first request instead of repeating it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercard.core.errors import ValidationFailed
from tiercard.loyalty.models import RewardKind
from tiercard.web.forms import apply_errors


def refused(form: forms.Form, error: ValidationFailed) -> None:
    """A service's refusal on the form: field errors beside their fields, else at the top."""
    apply_errors(form, error.fields or {"__all__": [error.message]})


def new_key() -> str:
    return f"web-{uuid.uuid4().hex}"


def _whole(value: str, *, signed: bool = False) -> int | None:
    """A whole number typed by a person (full-width digits and grouping commas allowed)."""
    text = value.strip().translate(FULL_WIDTH).replace(",", "").replace("，", "")
    if signed and text[:1] in {"+", "-"}:
        sign, text = text[0], text[1:]
    else:
        sign = ""
    if not text.isdigit() or not text.isascii():
        return None
    return int(sign + text)


FULL_WIDTH = str.maketrans("０１２３４５６７８９－＋", "0123456789-+")


class KeyedForm(forms.Form):
    key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    @classmethod
    def blank(cls, **kwargs: Any) -> Any:
        """With a new idempotency key; ``data=`` binds it (the key then comes from the data)."""
        initial = {"key": new_key(), **kwargs.pop("initial", {})}
        return cls(initial=initial, **kwargs)


class RedeemForm(KeyedForm):
    reward = forms.ChoiceField(label=_("Reward"))
    quantity = forms.CharField(
        label=_("Quantity"),
        max_length=6,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
    )

    def __init__(self, *args: Any, rewards: Sequence[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["reward"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *rewards]

    def clean_quantity(self) -> int:
        quantity = _whole(self.cleaned_data["quantity"])
        if quantity is None:
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return quantity


class AdjustForm(KeyedForm):
    points = forms.CharField(
        label=_("Points"),
        max_length=12,
        help_text=_("A negative number takes points away, e.g. -200."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "+500 / -200"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_points(self) -> int:
        points = _whole(self.cleaned_data["points"], signed=True)
        if points is None:
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return points


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Why undo it"), max_length=200)


class TierOnForm(forms.Form):
    """A business day to look the customer's tier up on: today or earlier."""

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].widget.attrs["max"] = today.isoformat()

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day > self.today:
            raise forms.ValidationError(_("Choose a day no later than today."), code="future")
        return day


class ReturnForm(forms.Form):
    purchase = forms.TypedChoiceField(label=_("Purchase"), coerce=int)
    amount = forms.CharField(
        label=_("Amount refunded"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    external_ref = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, purchases: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purchase"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *purchases]

    @classmethod
    def blank(
        cls, purchases: Sequence[tuple[int, str]], data: Any = None, **initial: Any
    ) -> ReturnForm:
        """A new reference each time; bound to ``data`` when given (then ``initial`` is unused)."""
        return cls(data, initial={"external_ref": new_key(), **initial}, purchases=purchases)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "reason": data.get("reason", ""),
            "external_ref": data["external_ref"],
        }


class OverrideRequestForm(forms.Form):
    """A tier held by hand: which, until when, why. Asked for as a request, or (with the
    approver) set directly: ``OverrideForm``."""

    tier = forms.ChoiceField(label=_("Tier"))
    until = forms.DateField(
        label=_("Held until"),
        help_text=_("The last day of the override, at most three years ahead."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, tiers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tier = self.fields["tier"]
        assert isinstance(tier, forms.ChoiceField)
        tier.choices = list(tiers)


class OverrideForm(OverrideRequestForm):
    approver = forms.TypedChoiceField(label=_("Approved by"), coerce=int)
    field_order = ["tier", "until", "approver", "reason"]

    def __init__(
        self,
        *args: Any,
        tiers: Sequence[tuple[str, str]] = (),
        approvers: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, tiers=tiers, **kwargs)
        approver = self.fields["approver"]
        assert isinstance(approver, forms.ChoiceField)
        approver.choices = [(str(pk), label) for pk, label in approvers]


class DecisionForm(forms.Form):
    """Approve (the note is optional) or reject (the service asks for one) a request."""

    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class BenefitUseForm(KeyedForm):
    code = forms.CharField(max_length=32, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- Administration ---------------------------------------------------------------------------


class RewardForm(forms.Form):
    """Every key ``reward_create`` / ``reward_update`` accept; the service checks the rules."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("Lower-case letters, digits, - and _; cannot be changed later."),
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=RewardKind.choices)
    points_cost = forms.CharField(
        label=_("Points"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    stock = forms.CharField(
        label=_("Stock"),
        max_length=12,
        required=False,
        help_text=_("Empty for unlimited."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    valid_from = forms.CharField(
        label=_("Valid from"),
        max_length=20,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    valid_until = forms.CharField(
        label=_("Valid until"),
        max_length=20,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    min_tier = forms.ChoiceField(label=_("Lowest tier"), required=False)
    active = forms.BooleanField(label=_("Offered"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        tiers: Sequence[tuple[str, str]] = (),
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["min_tier"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any tier")), *tiers]
        self.editing = editing
        if editing:
            del self.fields["code"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("stock", "valid_from", "valid_until"):
            if data.get(name) == "":
                data[name] = None
        return data


class DraftForm(forms.Form):
    """A new programme version as its JSON document, checked by the service."""

    rules = forms.CharField(
        label=_("Programme (JSON)"),
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "code"}),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_rules(self) -> Any:
        text = self.cleaned_data["rules"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(column)d): %(problem)s"),
                code="invalid_json",
                params={"line": exc.lineno, "column": exc.colno, "problem": exc.msg},
            ) from None


def pretty(document: object) -> str:
    """The JSON text shown for editing: indented, Chinese kept readable."""
    return json.dumps(document, ensure_ascii=False, indent=2)

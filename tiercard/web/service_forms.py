"""Forms of the service desk pages. They check shape only (choices, lengths); the services
decide everything else and their field errors are put back on these forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tiercard.interactions.models import InteractionKind
from tiercard.servicedesk.models import TicketKind
from tiercard.web.forms import moment_field


def _choose(form: forms.Form, name: str, choices: Sequence[tuple[int, str]], blank: str) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = [("", blank), *((str(pk), label) for pk, label in choices)]


class TicketOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=TicketKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    detail = forms.CharField(
        label=_("Detail"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    opened_at = moment_field(
        _("Received"), _("Leave empty for now. The response time counts from here.")
    )
    assignee_id = forms.ChoiceField(label=_("Assignee"), required=False)
    notify_customer = forms.BooleanField(
        label=_("Send the customer an acknowledgement"),
        required=False,
        initial=True,
        help_text=_("By e-mail: the ticket number, when it was received and the promised time."),
    )

    def __init__(
        self,
        *args: Any,
        assignees: Sequence[tuple[int, str]] = (),
        reachable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if assignees:
            _choose(self, "assignee_id", assignees, str(_("The account manager")))
        else:
            del self.fields["assignee_id"]
        if not reachable:
            self.fields["notify_customer"].initial = False
            self.fields["notify_customer"].help_text = _(
                "This customer gave no consent or has no e-mail address: nothing would be sent."
            )


class TicketRespondForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Replied by"), choices=InteractionKind.choices, initial=InteractionKind.CALL
    )
    occurred_at = moment_field()
    summary = forms.CharField(
        label=_("What was said"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TicketResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TicketReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen"), max_length=500)


class TicketAssignForm(forms.Form):
    assignee_id = forms.ChoiceField(label=_("Assign to"))

    def __init__(
        self, *args: Any, assignees: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "assignee_id", assignees, "—")

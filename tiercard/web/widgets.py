"""Form fields printed without Django's widget templates: the same markup, written directly.

``{{ field }}`` renders a widget through Django's form templates: ``input.html`` and
``attrs.html`` for a text box, and two more includes per ``<option>`` of a select, about 30 µs
each. The card and the member table print such fields on every request (the owner select, the
tag box, the table's filters), so :func:`plain_widget` writes the same tag from the same
context Django builds (``Widget.get_context``: value, attributes in their order, ``required``,
``aria-invalid`` and ``aria-describedby`` when the field has errors) for the common widgets,
and falls back to Django's own rendering for anything else. ``tests/web/test_widgets.py``
checks the output is identical to Django's, byte for byte, with and without errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Widgets whose template is exactly ``input.html`` (no extra markup around the tag).
PLAIN_INPUTS = (
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.HiddenInput,
)


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """``attrs.html``: `` name="value"`` each, a bare name for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return mark_safe("".join(out))  # noqa: S308 - every part escaped above


def _context(field: BoundField) -> dict[str, Any]:
    """The widget's context as ``BoundField.as_widget`` builds it."""
    widget = field.field.widget
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return widget.get_context(field.html_name, field.value(), attrs)["widget"]


def _input(widget: dict[str, Any]) -> SafeString:
    value = widget["value"]
    shown = "" if value is None else format_html(' value="{}"', str(value))
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        shown,
        _attrs(widget["attrs"]),
    )


def _select(widget: dict[str, Any]) -> SafeString | None:
    parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            return None  # option groups: left to Django's own templates
        parts += [
            format_html(
                '\n  <option value="{}"{}>{}</option>\n',
                str(option["value"]),
                _attrs(option["attrs"]),
                option["label"],
            )
            for option in options
        ]
    parts.append(SafeString("\n</select>"))
    return SafeString("".join(parts))


def plain_widget(field: BoundField) -> SafeString:
    """What ``{{ field }}`` prints, without the template engine where the widget allows."""
    kind = type(field.field.widget)
    if kind in PLAIN_INPUTS:
        return _input(_context(field))
    if kind is forms.Select:
        html = _select(_context(field))
        if html is not None:
            return html
    return SafeString(str(field))  # Django's own rendering (already escaped)

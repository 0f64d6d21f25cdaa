"""The programme form editor: a programme document as named inputs, and back.

A shop manager edits a draft programme as a form instead of JSON. This package only moves data
between three shapes; every rule stays with ``parse_programme`` behind ``ladder_draft_create``,
so the form, the JSON editor and ``tiercard tiers draft`` share one validation:

* ``state``: the ``Editor`` and its inputs (``Field``), named by position;
* ``parsing``: ``from_document`` (a stored document) and ``from_post`` (the submitted inputs);
* ``actions``: ``apply_action``, the add / remove / move buttons;
* ``document``: ``to_document``, the editor as the document the service validates;
* ``errors``: ``attach_errors``, the service's field paths back onto their inputs;
* ``labels`` and ``values``: what choices and fields are called, and input text ↔ values.

The names below are the package's interface; views import them from here.
"""

from tiercard.web.programme_form.actions import apply_action
from tiercard.web.programme_form.document import quota_code, to_document
from tiercard.web.programme_form.errors import attach_errors, problems
from tiercard.web.programme_form.labels import (
    FIELD_LABELS,
    METRIC_LABELS,
    OP_LABELS,
    PERIOD_LABELS,
    WINDOW_PERIOD_LABELS,
)
from tiercard.web.programme_form.parsing import from_document, from_post
from tiercard.web.programme_form.state import Editor, Field

__all__ = [
    "FIELD_LABELS",
    "METRIC_LABELS",
    "OP_LABELS",
    "PERIOD_LABELS",
    "WINDOW_PERIOD_LABELS",
    "Editor",
    "Field",
    "apply_action",
    "attach_errors",
    "from_document",
    "from_post",
    "problems",
    "quota_code",
    "to_document",
]

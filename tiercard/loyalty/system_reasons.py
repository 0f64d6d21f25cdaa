"""Override reasons and tier-change notes the system writes itself, not people's words.

An erasure blanks what people wrote about a customer and keeps these: the import's reason is
how its undo recognises the override it set, and the notes name the records that caused a
change. The formats live here so that the writers and the erasure agree on them.
"""

from __future__ import annotations

IMPORT_PREFIX = "导入 · import #"
UNMERGE_PREFIX = "undo merge #"
SYSTEM_PREFIXES = (IMPORT_PREFIX, UNMERGE_PREFIX)


def import_reason(batch_id: int) -> str:
    """The reason of a tier an import set (``imports.apply_customers``)."""
    return f"{IMPORT_PREFIX}{batch_id}"


def unmerge_note(merge_id: int) -> str:
    """The note of the tier change an undone merge writes (``dedupe.unmerge``)."""
    return f"{UNMERGE_PREFIX}{merge_id}"

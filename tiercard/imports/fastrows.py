"""The import's set-based INSERTs: moved to ``tiercard.core.bulk_insert`` (the customer app's
bulk service uses them too); these names stay for the import modules that use them."""

from __future__ import annotations

from tiercard.core.bulk_insert import MAX_PARAMS, insert_objects, insert_values

__all__ = ["MAX_PARAMS", "insert_objects", "insert_values"]

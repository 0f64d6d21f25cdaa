"""Background job: the duplicate scan (django-tasks), safe to re-run; schedule it nightly.

Incremental by default (only cards changed since the previous scan are re-keyed), so a
nightly run over a million cards costs seconds; ``full`` rebuilds every key.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def duplicate_scan(full: bool = False) -> dict[str, Any]:
    from tiercard.dedupe.scan import dedupe_scan

    return dedupe_scan(full=full).as_dict()

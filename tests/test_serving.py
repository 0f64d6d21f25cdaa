"""The WSGI entry point leaves the served process with its start-up heap frozen and the young
generation collected less often (``tiercard.core.serving``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wsgi_application_settles_its_heap_with_the_views_loaded() -> None:
    probe = (
        "import gc, sys; import tiercard.wsgi; "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 100_000, "
        "'tiercard.web.views.card' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiercard.settings"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["20000", "True", "True"]

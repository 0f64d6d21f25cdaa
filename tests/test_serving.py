"""The WSGI entry point leaves the served process with its start-up heap frozen and the young
generation collected less often (``tiercard.core.serving``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(probe: str) -> str:
    """What ``probe`` prints, run by a fresh interpreter of ours (a process's GC state is
    its own: set here, it would leak into the other tests)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tiercard.settings"}
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_wsgi_application_settles_its_heap_with_the_views_loaded() -> None:
    probe = (
        "import gc, sys; import tiercard.wsgi; "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 100_000, "
        "'tiercard.web.views.card' in sys.modules)"
    )
    assert _run(probe).split() == ["20000", "True", "True"]


def test_a_batch_freezes_the_heap_and_puts_the_thresholds_back() -> None:
    probe = (
        "import gc\n"
        "from tiercard.core.serving import batch_heap\n"
        "gc.set_threshold(700, 10, 10)\n"
        "kept = [object() for _ in range(10)]\n"
        "frozen = gc.get_freeze_count()\n"
        "with batch_heap():\n"
        "    inside = gc.get_threshold()\n"
        "    assert gc.get_freeze_count() > frozen\n"
        "    with batch_heap():\n"
        "        nested = gc.get_threshold()\n"
        "    after_nested = gc.get_threshold()\n"
        "try:\n"
        "    with batch_heap():\n"
        "        raise KeyError\n"
        "except KeyError:\n"
        "    pass\n"
        "print(inside, nested, after_nested, gc.get_threshold())\n"
    )
    assert _run(probe).split("\n")[0] == (
        "(20000, 10, 10) (20000, 10, 10) (20000, 10, 10) (700, 10, 10)"
    )

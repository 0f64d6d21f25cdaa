"""Production settings pass Django's deployment checklist with zero warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_for_production_settings(tmp_path):
    result = run_check(
        {
            "TIERCARD_PRODUCTION": "1",
            "SECRET_KEY": "k7#Qx9!vLm2@Zr5$Tp8^Wn3&Yb6*Hc1(Jd4)Fg0-Se+Ua_Ri=Oe[Ty]Iw{Pq}",
            "ALLOWED_HOSTS": "crm.example.com",
            "TIERCARD_VAR_DIR": str(tmp_path),
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_for_development_settings(tmp_path):
    # The same check must be able to fail: development settings run with DEBUG on.
    result = run_check({"TIERCARD_PRODUCTION": "0", "TIERCARD_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    env.update({"TIERCARD_PRODUCTION": "1", "TIERCARD_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr

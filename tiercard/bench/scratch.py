"""Scratch databases for the benchmark: never the user's, always removed afterwards.

``scratch_sqlite`` gives the environment of a new SQLite file in a temporary folder, deleted
when its block ends;
``scratch_postgresql`` creates a new database on the server ``DATABASE_URL`` names and drops it
afterwards (the configured database itself is only used to issue ``CREATE DATABASE``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import psycopg
from psycopg import sql


def _base_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TIERCARD_VAR_DIR"] = str(folder / "var")  # nothing lands in the user's var/
    env.setdefault("DJANGO_SETTINGS_MODULE", "tiercard.settings")
    env["DEBUG"] = "0"  # as in production: no query log growing with every statement
    return env


@contextmanager
def scratch_sqlite(folder: Path, *, keep: bool = False) -> Iterator[dict[str, str]]:
    """The SQLite file is deleted when the block ends (with its WAL and shared memory), not at
    the end of the whole run: a 1M data set is ~7 GiB, and while it lay in the page cache the
    PostgreSQL phases that follow had that much less memory (their purchase p99 doubled)."""
    env = _base_env(folder)
    env.pop("DATABASE_URL", None)
    path = folder / "bench.sqlite3"
    env["TIERCARD_SQLITE_PATH"] = str(path)
    try:
        yield env
    finally:
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def kept_sqlite(folder: Path) -> Iterator[dict[str, str]]:
    """Like ``scratch_sqlite``, in a folder the caller keeps: its data set outlives the run."""
    folder.mkdir(parents=True, exist_ok=True)
    with scratch_sqlite(folder, keep=True) as env:
        yield env


def _admin_connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    params = dj_database_url.parse(url)
    return psycopg.connect(
        dbname=params.get("NAME") or "postgres",
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        autocommit=True,
    )


def database_url_for(url: str, name: str) -> str:
    """``url`` with its database name replaced by ``name``."""
    return urlsplit(url)._replace(path="/" + name).geturl()


@contextmanager
def scratch_postgresql(folder: Path, url: str) -> Iterator[dict[str, str]]:
    name = f"tiercard_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin_connect(url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        env = _base_env(folder)
        env["DATABASE_URL"] = database_url_for(url, name)
        yield env
    finally:
        with _admin_connect(url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

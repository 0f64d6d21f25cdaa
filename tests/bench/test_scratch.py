"""Scratch SQLite databases of the benchmarks go when their block ends; kept ones stay."""

from __future__ import annotations

from pathlib import Path

from tiercard.bench.scratch import kept_sqlite, scratch_sqlite


def write_database(env: dict[str, str]) -> list[Path]:
    path = Path(env["TIERCARD_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    for file in files:
        file.write_bytes(b"x")
    return files


def test_a_scratch_database_is_deleted_when_its_block_ends(tmp_path: Path) -> None:
    with scratch_sqlite(tmp_path / "sqlite") as env:
        files = write_database(env)
        assert "DATABASE_URL" not in env and all(f.exists() for f in files)
    assert not any(f.exists() for f in files)
    assert (tmp_path / "sqlite").is_dir()  # the folder (phase outputs, Parquet) stays


def test_a_kept_database_outlives_its_block(tmp_path: Path) -> None:
    with kept_sqlite(tmp_path / "kept") as env:
        files = write_database(env)
    assert all(f.exists() for f in files)

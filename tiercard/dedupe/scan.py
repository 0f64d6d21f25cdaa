"""The duplicate scan over the whole base: set-based, incremental, idempotent.

1. Keys: rebuilt for the cards changed since the previous scan began (all on the first scan
   or with ``full``), chunk by chunk (``matchkeys``).
2. Pairs: one SQL statement groups the keys by (kind, value); every group of 2..``GROUP_CAP``
   cards sharing a strong key (credit code, phone, email, WeChat, company name) yields its
   pairs, and a pair's reasons are the OR of the kinds it shares (plus name-and-city when the
   two also share that weak key). Larger groups are counted and skipped: a value shared by a
   hundred cards (a shop's landline, ``test@test.com``) is no evidence about any two of them.
3. Store: pairs scoring at least ``possible`` are upserted on (a, b). An open pair is
   re-scored; a dismissed or merged pair keeps its decision. Open pairs the scan no longer
   finds are removed.

Re-running without changes changes nothing but ``seen_scan``. Runs outside one long
transaction (each chunk commits), so live writes are not blocked for the whole scan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.utils import timezone

from tiercard.accounts.models import User
from tiercard.audit.models import AuditAction
from tiercard.audit.services import audit_record
from tiercard.dedupe.matchkeys import keys_rebuild
from tiercard.dedupe.models import DuplicatePair, MatchKey, PairStatus, ScanState
from tiercard.dedupe.scoring import STRONG, Reason, Score, score_mask

GROUP_CAP = 20
BATCH = 2000


@dataclass(frozen=True)
class ScanReport:
    scan_no: int
    full: bool
    cards_rekeyed: int
    keys_written: int
    keys_total: int
    groups_skipped: int
    pairs_found: int
    pairs_new: int
    pairs_removed: int
    open: int
    dismissed: int
    merged: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _strong_kinds() -> str:
    return ", ".join(str(int(r)) for r in sorted(STRONG))


def _pair_sql() -> str:
    strong = _strong_kinds()
    table = MatchKey._meta.db_table
    return f"""
        SELECT p.lo, p.hi, p.mask + CASE WHEN EXISTS (
                   SELECT 1 FROM {table} x JOIN {table} y
                     ON y.kind = x.kind AND y.value = x.value
                   WHERE x.kind = {int(Reason.NAME_CITY)}
                     AND x.customer_id = p.lo AND y.customer_id = p.hi)
               THEN {int(Reason.NAME_CITY)} ELSE 0 END
        FROM (SELECT a.customer_id AS lo, b.customer_id AS hi, SUM(DISTINCT a.kind) AS mask
              FROM (SELECT kind, value FROM {table}
                    WHERE kind IN ({strong})
                    GROUP BY kind, value HAVING COUNT(*) BETWEEN 2 AND %s) g
              JOIN {table} a ON a.kind = g.kind AND a.value = g.value
              JOIN {table} b ON b.kind = g.kind AND b.value = g.value
                            AND b.customer_id > a.customer_id
              GROUP BY a.customer_id, b.customer_id) p
    """  # noqa: S608 (table name and integer constants only)


def _skipped_groups() -> int:
    table = MatchKey._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE kind IN ({_strong_kinds()})
                GROUP BY kind, value HAVING COUNT(*) > %s) t""",  # noqa: S608 (constants)
            [GROUP_CAP],
        )
        return int(cur.fetchone()[0])


def _store(batch: list[DuplicatePair]) -> None:
    DuplicatePair.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["customer_a", "customer_b"],
        update_fields=["score", "level", "reasons", "seen_scan", "updated_at"],
    )


def _pairs(scan_no: int, now: dt.datetime) -> int:
    """Find, score and upsert the pairs; returns how many scored at least ``possible``."""
    found = 0
    batch: list[DuplicatePair] = []
    scores: dict[int, Score] = {}  # by mask: a handful of distinct masks
    with connection.cursor() as cur:
        # Read whole before writing: SQLite must not commit under an open read statement.
        cur.execute(_pair_sql(), [GROUP_CAP])
        rows = cur.fetchall()
    for lo, hi, raw_mask in rows:
        mask = int(raw_mask)
        if mask not in scores:
            scores[mask] = score_mask(mask)
        result = scores[mask]
        if result.level is None:
            continue
        found += 1
        batch.append(
            DuplicatePair(
                customer_a_id=lo,
                customer_b_id=hi,
                score=result.value,
                level=result.level,
                reasons=mask,
                seen_scan=scan_no,
                created_at=now,
                updated_at=now,
            )
        )
        if len(batch) >= BATCH:
            with transaction.atomic():
                _store(batch)
            batch = []
    if batch:
        with transaction.atomic():
            _store(batch)
    return found


def dedupe_scan(*, actor: User | None = None, full: bool = False) -> ScanReport:
    """Run the scan (see the module docstring). ``full`` rebuilds every card's keys."""
    started = timezone.now()
    with transaction.atomic():
        state, _created = ScanState.objects.select_for_update().get_or_create(pk=1)
        scan_no = state.scan_no + 1
        since = None if full else state.keys_built_from
        ScanState.objects.filter(pk=1).update(scan_no=scan_no)
    cards, keys = keys_rebuild(since=since)
    groups_skipped = _skipped_groups()
    found = _pairs(scan_no, started)
    with transaction.atomic():
        removed, _detail = DuplicatePair.objects.filter(
            status=PairStatus.OPEN, seen_scan__lt=scan_no
        ).delete()
        new = DuplicatePair.objects.filter(created_at=started, seen_scan=scan_no).count()
        counts = {
            status: DuplicatePair.objects.filter(status=status).count()
            for status in PairStatus.values
        }
        finished = timezone.now()
        report = ScanReport(
            scan_no=scan_no,
            full=since is None,
            cards_rekeyed=cards,
            keys_written=keys,
            keys_total=MatchKey.objects.count(),
            groups_skipped=groups_skipped,
            pairs_found=found,
            pairs_new=new,
            pairs_removed=removed,
            open=counts[PairStatus.OPEN],
            dismissed=counts[PairStatus.DISMISSED],
            merged=counts[PairStatus.MERGED],
            seconds=round((finished - started).total_seconds(), 2),
        )
        ScanState.objects.filter(pk=1).update(
            keys_built_from=started, finished_at=finished, counts=report.as_dict()
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="dedupe.scan",
            object_id=str(scan_no),
            changes={k: v for k, v in report.as_dict().items() if k != "seconds"},
        )
    return report

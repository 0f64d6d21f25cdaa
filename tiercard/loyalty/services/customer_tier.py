"""The copy of each customer's tier on the customer row (``customers_customer.tier``).

Database triggers keep it (loyalty migration 0008): a membership row inserted, its tier
changed or the row deleted updates the customer row to the tier's code, or to "" for the
lowest tier of the active ladder. The one thing a trigger on a membership row cannot see is
the lowest tier itself changing: a ladder whose lowest tier has another code than the one it
replaces turns "" into a real code for the customers still on the old lowest tier, and a
real code into "" for those already holding the new one. ``customer_tiers_refresh`` rewrites
exactly those rows, set-based, in the ladder change's transaction.
"""

from __future__ import annotations

from django.db import connection

HELD = """COALESCE((
    SELECT CASE WHEN m.tier = %s THEN '' ELSE m.tier END
    FROM loyalty_membership m WHERE m.customer_id = customers_customer.id
), '')"""
REFRESH = (
    f"UPDATE customers_customer SET tier = {HELD} WHERE tier IN (%s, %s, '') AND tier <> {HELD}"  # noqa: S608 (constant)
)


def customer_tiers_refresh(*, old_lowest: str, new_lowest: str) -> int:
    """Recompute the customer rows a change of the lowest tier's code can make wrong.

    A no-op when the code is the same. Returns the number of rows rewritten."""
    if old_lowest == new_lowest:
        return 0
    with connection.cursor() as cur:
        cur.execute(REFRESH, [new_lowest, old_lowest, new_lowest, new_lowest])
        return cur.rowcount

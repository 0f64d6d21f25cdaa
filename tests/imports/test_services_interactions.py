"""Interaction imports: linked by external id, choices as offices write them, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from tests.imports.core_support import check, counts, imported, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.interactions.models import Interaction

__all__ = ["store"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def test_interactions_are_logged_once(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    card = make_customer("rep_east1", name="张伟", external_id="M001")
    path = write_csv(
        tmp_path,
        [
            ["会员号", "时间", "方式", "内容", "结果", "下一步", "下次跟进日期"],
            ["M001", "2024-05-01 10:00", "拜访", "介绍新品", "积极", "寄样品", "2024-05-10"],
            ["M001", "2024-05-02 09:30", "电话", "确认样品", "未接通", "", ""],
            ["M001", "2024-05-03", "飞鸽", "?", "", "", ""],
        ],
    )
    batch = imported(users["rep_east1"], "interactions", path, key="external_id", skip_invalid=True)
    assert counts(batch) == {"rows": 3, "new": 2, "updated": 0, "unchanged": 0, "invalid": 1}
    assert problems(batch) == [(4, "方式", "bad_choice")]
    assert [c for _r, _c, c in problems(batch, severity="warning")] == ["due_in_past"]
    kinds = list(
        Interaction.objects.filter(customer=card)
        .order_by("occurred_at")
        .values_list("kind", "outcome")
    )
    assert kinds == [("visit", "positive"), ("call", "no_answer")]
    card.refresh_from_db()
    assert card.last_interaction_at is not None

    again = check(users["rep_east1"], "interactions", path, key="external_id")
    assert counts(again)["unchanged"] == 2 and counts(again)["new"] == 0


def test_marketing_may_not_import_interactions(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    from tiercard.core.errors import PermissionDenied
    from tiercard.imports.models import ImportBatch
    from tiercard.imports.services import import_upload

    make_customer("rep_east1", name="张伟", external_id="M001")
    path = write_csv(
        tmp_path, [["会员号", "时间", "方式", "内容"], ["M001", "2024-05-01", "电话", "x"]]
    )
    with pytest.raises(PermissionDenied):
        import_upload(actor=users["marketing"], kind="interactions", path=path, filename="i.csv")
    assert not ImportBatch.objects.exists() and not Interaction.objects.exists()

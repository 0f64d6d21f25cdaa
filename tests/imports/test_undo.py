"""Undo of a whole batch: through the owning services, never clobbering later changes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from tests.imports.core_support import imported, problems, store, write_csv
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, PermissionDenied
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.customers.services import customer_update
from tiercard.imports.models import ImportStatus
from tiercard.imports.services import import_undo
from tiercard.interactions.models import Interaction
from tiercard.loyalty.models import Membership
from tiercard.sales.models import Purchase

__all__ = ["store"]


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


def test_undo_archives_created_and_restores_updated_fields(
    users: dict[str, User], store: Path, tmp_path: Path, make_customer
) -> None:
    old = make_customer("rep_east1", name="张伟", phones="13812340001", city="杭州", notes="旧")
    path = write_csv(
        tmp_path,
        [
            ["姓名", "手机", "城市", "备注", "积分"],
            ["张伟", "13812340001", "上海", "新", ""],
            ["李娜", "13812340002", "北京", "", "300"],
        ],
    )
    manager = users["mgr_east"]
    batch = imported(manager, "customers", path)
    new = Customer.objects.get(name="李娜")
    assert Membership.objects.get(customer=new).points_balance == 300
    # Someone edits the note after the import: undo must not clobber it.
    customer_update(actor=users["rep_east1"], customer_id=old.pk, data={"notes": "后来改的"})

    undone = import_undo(actor=manager, batch_id=batch.pk)
    assert undone.status == ImportStatus.UNDONE
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.city == "杭州" and old.notes == "后来改的"
    assert new.status == CustomerStatus.ARCHIVED
    assert Membership.objects.get(customer=new).points_balance == 0
    assert [code for _r, _c, code in problems(undone, severity="warning")] == ["undo_conflict"]
    assert AuditEvent.objects.filter(
        object_type="imports.importbatch", note="import undone"
    ).exists()
    with pytest.raises(Conflict):
        import_undo(actor=manager, batch_id=batch.pk)


def test_undo_returns_purchases_so_points_follow_and_removes_interactions(
    users: dict[str, User], store: Path, tmp_path: Path, book: dict[str, Customer]
) -> None:
    card = book["east1"]
    purchases = write_csv(
        tmp_path,
        [["订单号", "手机", "下单时间", "金额"], ["U-1", "13812345678", "2026-11-30 10:00", "500"]],
        name="p.csv",
    )
    notes = write_csv(
        tmp_path,
        [["手机", "时间", "方式", "内容"], ["13812345678", "2026-11-30 11:00", "电话", "回访"]],
        name="i.csv",
    )
    bought = imported(users["mgr_east"], "purchases", purchases)
    talked = imported(users["mgr_east"], "interactions", notes)
    balance = Membership.objects.get(customer=card).points_balance
    assert balance > 0 and Interaction.objects.filter(customer=card).count() == 1

    import_undo(actor=users["mgr_east"], batch_id=bought.pk)
    import_undo(actor=users["mgr_east"], batch_id=talked.pk)
    purchase = Purchase.objects.get(external_ref="U-1")
    assert purchase.returned_amount == purchase.total == Decimal("500.00")
    card.refresh_from_db()
    assert card.total_spend == 0 and card.order_count == 0
    assert Membership.objects.get(customer=card).points_balance == 0
    assert Interaction.objects.filter(customer=card).count() == 0
    assert card.last_interaction_at is None


def test_sales_reps_cannot_undo_and_nothing_changes(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, [["姓名", "手机"], ["张伟", "13812340001"]])
    batch = imported(users["rep_east1"], "customers", path)
    with pytest.raises(PermissionDenied):
        import_undo(actor=users["rep_east1"], batch_id=batch.pk)
    assert Customer.objects.get().status == CustomerStatus.ACTIVE
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMMITTED
    # Another team's manager does not even see the batch.
    from tiercard.core.errors import NotFound

    with pytest.raises(NotFound):
        import_undo(actor=users["mgr_south"], batch_id=batch.pk)


def test_undo_of_a_set_based_import_archives_its_customers(
    users: dict[str, User], store: Path, tmp_path: Path, settings
) -> None:
    settings.TIERCARD_IMPORT_BULK_FROM_BYTES = 0
    rows = [["姓名", "手机"]] + [[f"客户{i}", f"1381234{i:04d}"] for i in range(30)]
    batch = imported(users["mgr_east"], "customers", write_csv(tmp_path, rows))
    assert batch.new_count == 30
    assert (
        AuditEvent.objects.filter(object_type="customers.customer", action="create").count() == 30
    )
    import_undo(actor=users["mgr_east"], batch_id=batch.pk)
    assert set(Customer.objects.values_list("status", flat=True)) == {CustomerStatus.ARCHIVED}


def test_a_created_customer_with_a_service_ticket_since_stays_active(
    users: dict[str, User], store: Path, tmp_path: Path
) -> None:
    from tiercard.servicedesk.models import ServiceTicket
    from tiercard.servicedesk.services import ticket_open

    # given a customer the import created, then a complaint about them
    path = write_csv(tmp_path, [["姓名", "手机"], ["王芳", "13812340009"]])
    batch = imported(users["mgr_east"], "customers", path)
    card = Customer.objects.get(name="王芳")
    ticket = ticket_open(
        actor=users["service"],
        customer_id=card.pk,
        data={"kind": "complaint", "subject": "积分未到账"},
    )

    # when the import is undone
    undone = import_undo(actor=users["mgr_east"], batch_id=batch.pk)

    # then the card stays active with its ticket, and the undo says why
    card.refresh_from_db()
    assert card.status == CustomerStatus.ACTIVE
    assert ServiceTicket.objects.get(pk=ticket.pk).customer_id == card.pk
    assert undone.status == ImportStatus.UNDONE
    conflict = undone.problems.get(code="undo_conflict")
    assert conflict.params == {"reason": "customer_in_use", "model": "customers.customer"}
    assert "service tickets" in conflict.messages["en"]

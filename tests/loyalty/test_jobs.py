"""The nightly job, points expiry from the command line, and outbox delivery by e-mail."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from tiercard.loyalty.models import PointsEntry, PointsLot, WindowState
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.notify import outbox_deliver
from tiercard.loyalty.tasks import run_daily
from tiercard.outbox.models import MessageStatus, OutboxMessage

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEA = {"item_name": "茶叶", "unit_price": "1000.00"}


def upgrade(actor, customer) -> None:
    for _i in range(2):  # ¥2,000 in two orders: 标准级
        purchase_record(actor=actor, customer_id=customer.pk, data={"lines": [TEA]})


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_upgrade_message_is_mailed_once_to_a_consenting_customer(users, make_customer):
    customer = make_customer(name="李四", emails=["lisi@example.com"], consent_data=True)
    upgrade(users["rep_east1"], customer)

    first = outbox_deliver()
    again = outbox_deliver()

    assert (first.sent, first.skipped, again.sent) == (1, 0, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lisi@example.com"] and "标准级" in message.subject
    assert OutboxMessage.objects.get(customer_id=customer.pk).status == MessageStatus.SENT


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_no_consent_or_no_address_skips_without_mailing(users, make_customer):
    silent = make_customer(name="王五", emails=["wangwu@example.com"], consent_data=False)
    upgrade(users["rep_east1"], silent)

    report = outbox_deliver()

    assert (report.sent, report.skipped) == (0, 1) and mail.outbox == []
    assert OutboxMessage.objects.get(customer_id=silent.pk).status == MessageStatus.SKIPPED


def test_points_expire_command_expires_due_lots_and_is_safe_to_rerun(users, book):
    customer = book["east1"]
    with time_machine.travel(dt.datetime(2025, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        purchase_record(actor=users["rep_east1"], customer_id=customer.pk, data={"lines": [TEA]})
    # the default programme's points last to the end of the following year: 2026-12-31
    first, again = StringIO(), StringIO()

    call_command("points_expire", "--date", "2027-01-01", stdout=first)
    call_command("points_expire", "--date", "2027-01-01", stdout=again)

    assert "points\t1000" in first.getvalue() and "points\t0" in again.getvalue()
    assert PointsLot.objects.get(customer=customer).remaining == 0
    assert PointsEntry.objects.filter(customer=customer, kind="expire").count() == 1


def test_daily_job_after_a_gap_reviews_every_row(users, book):
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False):
        upgrade(users["rep_east1"], book["east1"])
        assert run_daily(today=dt.date(2026, 6, 15))["full"] is False
    rolled = WindowState.objects.get(pk=1).rolled_at

    with time_machine.travel(dt.datetime(2026, 6, 20, 1, tzinfo=SHANGHAI), tick=False):
        result = run_daily(today=dt.date(2026, 6, 20))

    assert result["full"] is True and result["candidates"] >= 1
    assert WindowState.objects.get(pk=1).rolled_at > rolled


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_an_archived_card_is_not_mailed_what_was_queued_for_it(users, make_customer):
    from tiercard.customers.services import customer_archive

    customer = make_customer(name="赵六", emails=["zhaoliu@example.com"], consent_data=True)
    upgrade(users["rep_east1"], customer)
    customer_archive(actor=users["mgr_east"], customer_id=customer.pk, reason="合并前")

    report = outbox_deliver()

    assert (report.sent, report.skipped) == (0, 1) and mail.outbox == []
    assert OutboxMessage.objects.get(customer_id=customer.pk).status == MessageStatus.SKIPPED


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI), tick=False)
def test_the_nightly_job_mails_the_birthday_gift_of_the_tier(users, make_customer):
    customer = make_customer(
        name="赵六", emails=["zhaoliu@example.com"], consent_data=True, birthday="1990-06-15"
    )
    upgrade(users["rep_east1"], customer)  # 标准级: a ¥50 birthday coupon
    OutboxMessage.objects.all().delete()  # the upgrade's own message is not the point here

    result = run_daily(today=dt.date(2026, 6, 15))
    again = run_daily(today=dt.date(2026, 6, 15))
    outbox_deliver()

    assert (result["birthday_gifts"], again["birthday_gifts"]) == (1, 0)
    assert [m.subject for m in mail.outbox] == ["生日快乐"]
    assert "生日优惠券 ¥50" in mail.outbox[0].body and mail.outbox[0].to == ["zhaoliu@example.com"]

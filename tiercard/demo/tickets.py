"""Service tickets in the demo book, so the service desk has a queue to show: complaints,
after-sales requests and enquiries received over the last ten days, some awaiting a response
(a few past their tier's promised time), some answered, some resolved.

Written through the ticket services (scoped, audited, each reply an interaction) as the
service desk's demo user. Deterministic; a book that already has tickets gets none.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tiercard.accounts.models import Role, User
from tiercard.customers.models import Customer, CustomerStatus
from tiercard.servicedesk.models import ServiceTicket, TicketKind
from tiercard.servicedesk.services import ticket_open, ticket_resolve, ticket_respond

TICKET_EVERY = 40  # one ticket per 40 customers: 50 in the 2,000-customer demo
MAX_TICKETS = 80

SUBJECTS: dict[str, tuple[str, ...]] = {
    TicketKind.COMPLAINT: (
        "送货比约定晚了三天",
        "收到的商品外包装破损",
        "发票抬头开错，需要重开",
        "客服电话一直打不通",
        "上门安装人员迟到",
    ),
    TicketKind.AFTER_SALES: (
        "设备无法正常开机",
        "申请更换同型号配件",
        "保修期内维修预约",
        "退货退款进度查询",
        "使用中出现异响",
    ),
    TicketKind.ENQUIRY: (
        "咨询会员积分兑换规则",
        "询问批量采购报价",
        "了解VIP专属权益",
        "咨询新品到货时间",
    ),
}
KINDS = (TicketKind.AFTER_SALES, TicketKind.COMPLAINT, TicketKind.ENQUIRY)


def plant_tickets(now: dt.datetime | None = None) -> int:
    """Open demo tickets on every ``TICKET_EVERY``-th customer; returns how many."""
    desk = User.objects.filter(role=Role.SERVICE, is_active=True).order_by("pk").first()
    if desk is None or ServiceTicket.objects.exists():
        return 0
    moment = now or timezone.now()
    total = Customer.objects.count()
    chosen = list(
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(status=CustomerStatus.ARCHIVED)
        .order_by("pk")
        .values_list("pk", flat=True)[:total:TICKET_EVERY][:MAX_TICKETS]
    )
    for i, customer_id in enumerate(chosen):
        kind = KINDS[i % len(KINDS)]
        pool = SUBJECTS[kind]
        hours_ago = 1 + (i * 37) % 240  # spread over ten days
        opened = moment - dt.timedelta(hours=hours_ago)
        ticket = ticket_open(
            actor=desk,
            customer_id=customer_id,
            data={
                "kind": kind,
                "subject": pool[i % len(pool)],
                "detail": "客户来电反映，已记录详细情况，待跟进处理。",
                "opened_at": opened,
            },
        )
        stage = i % 4
        if stage == 0:
            continue  # awaiting a response (past due when the tier's time has run out)
        answer_after = dt.timedelta(hours=(1 if stage != 2 else 60))
        answered = min(opened + answer_after, moment)
        ticket_respond(
            actor=desk,
            ticket_id=ticket.pk,
            data={"kind": "call", "summary": "已回电客户，说明处理方案。", "occurred_at": answered},
        )
        if stage == 3:
            ticket_resolve(actor=desk, ticket_id=ticket.pk, resolution="问题已解决，客户确认满意。")
    return len(chosen)

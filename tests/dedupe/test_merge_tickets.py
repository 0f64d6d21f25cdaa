"""Service tickets in a merge: they move to the survivor as they stand, in the merge's
transaction and on its record; a refused merge moves none; an undo takes them back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dedupe.conftest import Twins, world
from tiercard.accounts.models import User
from tiercard.audit.models import AuditEvent
from tiercard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tiercard.dedupe import merge as merge_module
from tiercard.dedupe.merge import customers_merge
from tiercard.dedupe.models import MergeRecord
from tiercard.dedupe.selectors import as_counts, card_side
from tiercard.dedupe.unmerge import customers_unmerge
from tiercard.interactions.models import Interaction
from tiercard.servicedesk.models import ServiceTicket, TicketReply, TicketStatus
from tiercard.servicedesk.selectors import customer_tickets
from tiercard.servicedesk.services import ticket_open, ticket_resolve, ticket_respond

pytestmark = pytest.mark.django_db

# Everything a ticket is, but its customer: a merge must not change any of it.
FIELDS = (
    "pk",
    "kind",
    "subject",
    "detail",
    "opened_at",
    "opened_by",
    "assignee",
    "tier",
    "response_hours",
    "priority",
    "respond_by",
    "status",
    "responded_at",
    "responded_by",
    "resolved_at",
    "resolved_by",
    "resolution",
)


def _open(users: dict[str, User], customer_id: int, subject: str, kind: str = "complaint") -> int:
    data = {"kind": kind, "subject": subject, "detail": f"{subject}：详情"}
    return ticket_open(actor=users["rep_east1"], customer_id=customer_id, data=data).pk


def _reply(users: dict[str, User], ticket_id: int, summary: str) -> Interaction:
    data = {"kind": "call", "summary": summary}
    return ticket_respond(actor=users["rep_east1"], ticket_id=ticket_id, data=data)[1]


def _as_they_stand(customer_id: int) -> list[tuple[Any, ...]]:
    return list(
        ServiceTicket.objects.filter(customer_id=customer_id).order_by("pk").values_list(*FIELDS)
    )


@pytest.fixture
def tickets(twins: Twins, users: dict[str, User]) -> dict[str, int]:
    """On the merged card: one open, one answered, one resolved; one on the survivor."""
    m = twins.merged.pk
    found = {
        "open": _open(users, m, "茶叶受潮"),
        "answered": _open(users, m, "发票抬头", kind="enquiry"),
        "resolved": _open(users, m, "礼盒破损", kind="after_sales"),
        "own": _open(users, twins.survivor.pk, "会员卡补办", kind="enquiry"),
    }
    _reply(users, found["answered"], "已回电说明发票开具时间")
    ticket_resolve(actor=users["rep_east1"], ticket_id=found["resolved"], resolution="已补发新礼盒")
    return found


def test_merge_moves_the_tickets_as_they_stand(
    twins: Twins, users: dict[str, User], tickets: dict[str, int]
) -> None:
    # given three tickets on the merged card, one on the survivor
    s, m = twins.survivor.pk, twins.merged.pk
    theirs, mine = _as_they_stand(m), _as_they_stand(s)
    reply = TicketReply.objects.get(ticket_id=tickets["answered"]).interaction_id
    total = ServiceTicket.objects.count()

    # when
    record = customers_merge(actor=users["mgr_east"], survivor_id=s, merged_id=m)

    # then every ticket is on the survivor, unchanged but for its customer; none is lost
    assert _as_they_stand(m) == []
    assert _as_they_stand(s) == sorted(theirs + mine)
    assert ServiceTicket.objects.count() == total == 4
    assert {t.pk for t in customer_tickets(viewer=users["rep_east1"], customer_id=s)} == set(
        tickets.values()
    )
    # the reply stays linked to its ticket and moved with the other interactions
    assert Interaction.objects.get(pk=reply).customer_id == s
    assert TicketReply.objects.get(interaction_id=reply).ticket_id == tickets["answered"]
    # recorded for the undo, counted, and listed in the merge's audit row
    moved = sorted(tickets[k] for k in ("open", "answered", "resolved"))
    assert MergeRecord.objects.get(pk=record.pk).moved["tickets"] == moved
    assert as_counts(record)["tickets"] == 3
    audit = AuditEvent.objects.get(object_type="dedupe.mergerecord", object_id=str(record.pk))
    assert audit.changes["moved"]["tickets"] == moved


def test_the_comparison_counts_each_cards_tickets(
    twins: Twins, tickets: dict[str, int], users: dict[str, User]
) -> None:
    assert card_side(twins.merged).counts["tickets"] == 3
    assert card_side(twins.survivor).counts["tickets"] == 1


@pytest.mark.parametrize(
    ("who", "picks", "error"),
    [
        ("rep_east1", {}, PermissionDenied),
        ("mgr_south", {}, NotFound),
        ("admin", {"name": "neither"}, ValidationFailed),
    ],
)
def test_a_refused_merge_moves_no_ticket(
    twins: Twins,
    users: dict[str, User],
    tickets: dict[str, int],
    who: str,
    picks: dict[str, str],
    error: type[Exception],
) -> None:
    s, m = twins.survivor.pk, twins.merged.pk
    before, logged = world(s, m), AuditEvent.objects.count()

    with pytest.raises(error):
        customers_merge(actor=users[who], survivor_id=s, merged_id=m, picks=picks)

    assert world(s, m) == before
    assert len(before["tickets"]) == 4
    assert AuditEvent.objects.count() == logged
    assert not MergeRecord.objects.exists()


def test_a_merge_failing_after_the_tickets_moved_leaves_them_where_they_were(
    twins: Twins, users: dict[str, User], tickets: dict[str, int], monkeypatch: Any
) -> None:
    # given a merge that fails at its last step, once the tickets moved
    s, m = twins.survivor.pk, twins.merged.pk
    before, logged = world(s, m), AuditEvent.objects.count()
    seen: list[int] = []

    def fail(*, customer_ids: list[int]) -> None:
        seen.append(ServiceTicket.objects.filter(customer_id=s).count())
        raise Conflict("simulated failure", code="simulated")

    monkeypatch.setattr(merge_module, "keys_refresh", fail)

    # when
    with pytest.raises(Conflict):
        customers_merge(actor=users["admin"], survivor_id=s, merged_id=m)

    # then the move was part of the merge's transaction: all of it rolled back
    assert seen == [4]
    assert world(s, m) == before
    assert AuditEvent.objects.count() == logged
    assert not MergeRecord.objects.exists()


def test_an_already_merged_card_moves_no_ticket_twice(
    twins: Twins, users: dict[str, User], tickets: dict[str, int], make_customer: Any
) -> None:
    s, m = twins.survivor.pk, twins.merged.pk
    customers_merge(actor=users["admin"], survivor_id=s, merged_id=m)
    third = make_customer("rep_east1", name="张伟", phones="13800001111")
    before = world(s, m, third.pk)

    with pytest.raises(Conflict) as refused:
        customers_merge(actor=users["admin"], survivor_id=third.pk, merged_id=m)

    assert refused.value.code == "already_merged"
    assert world(s, m, third.pk) == before


def test_no_ticket_is_opened_on_a_merged_card(
    twins: Twins, users: dict[str, User], tickets: dict[str, int]
) -> None:
    s, m = twins.survivor.pk, twins.merged.pk
    customers_merge(actor=users["admin"], survivor_id=s, merged_id=m)
    before = world(s, m)

    with pytest.raises(Conflict) as refused:
        _open(users, m, "合并后才登记")

    assert refused.value.code == "customer_merged"
    assert world(s, m) == before


def test_undo_takes_the_tickets_back_with_the_replies_logged_since(
    twins: Twins, users: dict[str, User], tickets: dict[str, int]
) -> None:
    # given a merge, then work on the survivor: a reply on a moved ticket, a new ticket,
    # a reply on the survivor's own ticket
    s, m = twins.survivor.pk, twins.merged.pk
    before = world(s, m)
    record = customers_merge(actor=users["mgr_east"], survivor_id=s, merged_id=m)
    later_reply = _reply(users, tickets["open"], "合并后回复：已安排换货")
    own_reply = _reply(users, tickets["own"], "已寄出新卡")
    new = _open(users, s, "合并后新登记")

    # when
    customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)

    # then the moved tickets are back where they were, in the state the work left them
    after = world(s, m)
    assert [(t[0], t[1]) for t in after["tickets"] if t[0] != new] == [
        (t[0], t[1]) for t in before["tickets"]
    ]
    assert ServiceTicket.objects.get(pk=tickets["open"]).status == TicketStatus.RESPONDED
    # the reply follows its ticket; what was added to the survivor's own stays
    assert Interaction.objects.get(pk=later_reply.pk).customer_id == m
    assert Interaction.objects.get(pk=own_reply.pk).customer_id == s
    assert ServiceTicket.objects.get(pk=new).customer_id == s
    assert [i for i in after["interactions"] if i[0] not in (later_reply.pk, own_reply.pk)] == (
        before["interactions"]
    )
    undo = AuditEvent.objects.get(object_type="dedupe.mergerecord", note="unmerge")
    assert undo.changes["replies_with_tickets"] == [later_reply.pk]


def test_open_tickets_follow_the_card_to_someone_who_can_open_them(
    users: dict[str, User], make_customer: Any, book: dict[str, Any]
) -> None:
    # given a ticket of rep_east1's card, merged into rep_south's card
    merged = make_customer("rep_east1", name="王五", phones="13712345670")
    open_one = _open(users, merged.pk, "还没回复")
    done = _open(users, merged.pk, "已经解决")
    ticket_resolve(actor=users["rep_east1"], ticket_id=done, resolution="好")
    survivor = book["south"]

    record = customers_merge(actor=users["admin"], survivor_id=survivor.pk, merged_id=merged.pk)

    # then the open ticket goes to the survivor's account manager; the resolved one keeps its
    assert ServiceTicket.objects.get(pk=open_one).assignee_id == users["rep_south"].pk
    assert ServiceTicket.objects.get(pk=done).assignee_id == users["rep_east1"].pk
    assert record.moved["ticket_assignees"] == {
        str(open_one): [users["rep_east1"].pk, users["rep_south"].pk]
    }
    assert [t.pk for t in customer_tickets(viewer=users["rep_south"], customer_id=survivor.pk)]

    # and the undo gives it back
    customers_unmerge(actor=users["admin"], merge_id=record.pk)
    assert ServiceTicket.objects.get(pk=open_one).assignee_id == users["rep_east1"].pk


def test_last_contact_is_recomputed_on_both_cards_after_an_undo(
    twins: Twins, users: dict[str, User], tickets: dict[str, int]
) -> None:
    s, m = twins.survivor, twins.merged
    record = customers_merge(actor=users["mgr_east"], survivor_id=s.pk, merged_id=m.pk)
    reply = _reply(users, tickets["open"], "合并后回复")

    customers_unmerge(actor=users["mgr_east"], merge_id=record.pk)

    for card in (s, m):
        card.refresh_from_db()
        latest = (
            Interaction.objects.filter(customer_id=card.pk)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
        assert card.last_interaction_at == latest
    assert m.last_interaction_at == reply.occurred_at

"""The browser draws its own date fields in Chinese (Chromium started in 简体中文, see
``conftest.LOCALE``), and the card's points ledger fits its panel on a desktop and on a phone
(its last column, the note, used to run out of the panel and be cut off)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LOCALE, screenshot, sign_in
from tiercard.loyalty.services.checkout import purchase_record
from tiercard.loyalty.services.points import points_adjust

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drawn_text(page: Any, selector: str) -> list[str]:
    """The text the browser draws inside an element, its own (user-agent) shadow DOM included:
    pages cannot read it, the DevTools protocol can."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]
    node = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": selector})
    tree = cdp.send("DOM.describeNode", {"nodeId": node["nodeId"], "depth": -1, "pierce": True})
    texts: list[str] = []

    def walk(found: dict) -> None:
        if found.get("nodeType") == 3 and found.get("nodeValue", "").strip():
            texts.append(found["nodeValue"].strip())
        for child in [*found.get("shadowRoots", []), *found.get("children", [])]:
            walk(child)

    walk(tree["node"])
    cdp.detach()
    return texts


def test_native_date_fields_show_chinese_placeholders(
    live_server: Any, page: Any, users: dict
) -> None:
    sign_in(page, live_server.url, "rep_east1")  # lands on the member table
    date_from = page.locator("#id_purchased_from")
    assert date_from.get_attribute("type") == "date"
    assert drawn_text(page, "#id_purchased_from") == ["年", "/", "月", "/", "日"]
    page.locator("#table-filters").screenshot(path=str(screenshot(page, "browser-date-fields")))
    date_from.fill("2026-05-01")  # the value stays ISO whatever the browser shows
    assert date_from.input_value() == "2026-05-01"
    assert drawn_text(page, "#id_purchased_from") == ["2026", "/", "05", "/", "01"]


# The ledger's table and its last header cell lie inside the panel, and nothing scrolls.
MEASURE = """() => {
  const panel = document.querySelector('#points-panel').getBoundingClientRect();
  const wrap = document.querySelector('#points-panel .table-wrap');
  const last = wrap.querySelector('thead th:last-child').getBoundingClientRect();
  const notes = [...wrap.querySelectorAll('td.ledger__note')].map(td => td.getBoundingClientRect());
  return {
    panel: [panel.left, panel.right],
    table: [wrap.querySelector('table').getBoundingClientRect().left,
            wrap.querySelector('table').getBoundingClientRect().right],
    last: [last.left, last.right],
    notesRight: Math.max(...notes.map(r => r.right)),
    scrolls: wrap.scrollWidth > wrap.clientWidth,
    pageWidth: document.documentElement.scrollWidth,
  };
}"""


def _ledger(users: dict, customer: Any) -> None:
    for i, amount in enumerate(("1288.00", "36.50", "12800.00")):
        purchase_record(
            actor=users["rep_east1"],
            customer_id=customer.pk,
            data={
                "external_ref": f"L-{i}",
                "lines": [{"item_name": "龙井茶", "unit_price": amount}],
            },
        )
    reasons = ((-1200, "春节礼盒兑换后补扣，客户同意从下次消费积分中抵扣"), (350, "投诉补偿"))
    for i, (points, reason) in enumerate(reasons):
        points_adjust(
            actor=users["admin"], customer_id=customer.pk, points=points, reason=reason, key=f"a{i}"
        )


@pytest.mark.parametrize(("name", "width", "height"), [("desktop", 1366, 900), ("phone", 390, 844)])
def test_the_points_ledger_fits_its_panel(
    live_server: Any, browser: Any, book: dict, users: dict, name: str, width: int, height: int
) -> None:
    customer = book["east1"]
    _ledger(users, customer)
    context = browser.new_context(viewport={"width": width, "height": height}, locale=LOCALE)
    page = context.new_page()
    sign_in(page, live_server.url, "rep_east1")
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.locator("#points-panel")
    panel.locator(".ledger").wait_for()
    panel.scroll_into_view_if_needed()
    panel.screenshot(
        path=str(screenshot(page, f"browser-ledger-{name}")).replace(".png", "-panel.png")
    )
    got = page.evaluate(MEASURE)
    notes = panel.locator("td.ledger__note").all_inner_texts()
    context.close()
    left, right = got["panel"]
    assert got["pageWidth"] <= width
    assert left <= got["table"][0] and got["table"][1] <= right
    assert got["last"][1] <= right and got["notesRight"] <= right
    assert not got["scrolls"]
    # whole, wrapped (the full-width comma is stored folded to ",")
    assert "春节礼盒兑换后补扣,客户同意从下次消费积分中抵扣" in notes

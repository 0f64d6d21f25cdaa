"""The card is printed in its tier's colour: the band across the top is filled with it.

Checked twice: in the PDF's drawing operators (the fill colour set for the band's rectangle),
and on the page as printed (pdftoppm renders it; the band's pixels are the colour).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tiercard.accounts.models import User
from tiercard.customers.models import Customer
from tiercard.loyalty.models import Membership
from tiercard.loyalty.services.state import active_programme
from tiercard.printing.services import card_print

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # points per millimetre
RGB = tuple[int, int, int]


def tier_colour(customer: Customer) -> RGB:
    ladder = active_programme().programme.ladder
    held = Membership.objects.filter(pk=customer.pk).values_list("tier", flat=True).first()
    text = ladder.get(held or ladder.lowest.code).colour.lstrip("#")  # no row yet: the lowest
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))


def filled_rectangles(content: bytes) -> list[tuple[RGB | None, tuple[float, ...]]]:
    """Each filled rectangle of page one, in drawing order, with the fill colour it had."""
    reader = PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    stack: list[RGB | None] = []
    fill: RGB | None = None
    rectangle: tuple[float, ...] | None = None
    found = []
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(fill)
        elif operator == b"Q":
            fill = stack.pop() if stack else None
        elif operator == b"rg":
            r, g, b = (round(float(v) * 255) for v in operands)
            fill = (r, g, b)
        elif operator == b"re":
            rectangle = tuple(float(v) for v in operands)
        elif operator in {b"f", b"f*", b"B", b"B*"} and rectangle is not None:
            found.append((fill, rectangle))
            rectangle = None
        elif operator in {b"S", b"n"}:
            rectangle = None
    return found


def band_fill(content: bytes) -> RGB | None:
    """The fill of the full-width rectangle at the top of the page, 15 mm high."""
    width = float(PdfReader(io.BytesIO(content)).pages[0].mediabox.width)
    for fill, (x, _y, w, h) in filled_rectangles(content):
        if x == 0 and abs(w - width) < 0.5 and abs(abs(h) - 15 * MM) < 0.5:
            return fill
    return None


@pytest.mark.parametrize("who", ["vip", "basic"])
def test_the_band_is_filled_with_the_tier_colour(
    users: dict[str, User], vip: Customer, basic: Customer, who: str
) -> None:
    customer = vip if who == "vip" else basic
    printed = card_print(actor=users["rep_east1"], customer_id=customer.pk)

    assert band_fill(printed.content) == tier_colour(customer)


def test_the_two_tiers_print_in_different_colours(
    users: dict[str, User], vip: Customer, basic: Customer
) -> None:
    """The check above would pass for a colour printed whatever the tier: not so."""
    assert tier_colour(vip) != tier_colour(basic)
    colours = {
        band_fill(card_print(actor=users["rep_east1"], customer_id=c.pk).content)
        for c in (vip, basic)
    }
    assert colours == {tier_colour(vip), tier_colour(basic)}


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes of a binary PPM (P6, max value 255)."""
    data = path.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:
        while data[at : at + 1].isspace():
            at += 1
        if data[at : at + 1] == b"#":
            at = data.index(b"\n", at) + 1
            continue
        end = at
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[at:end])
        at = end
    assert fields[0] == b"P6" and fields[3] == b"255"
    return int(fields[1]), int(fields[2]), data[at + 1 :]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
@pytest.mark.parametrize("who", ["vip", "basic"])
def test_the_printed_band_shows_the_tier_colour(
    users: dict[str, User], vip: Customer, basic: Customer, who: str, tmp_path: Path
) -> None:
    customer = vip if who == "vip" else basic
    pdf = tmp_path / "card.pdf"
    pdf.write_bytes(card_print(actor=users["rep_east1"], customer_id=customer.pk).content)
    pdftoppm = shutil.which("pdftoppm") or "pdftoppm"
    page = [
        pdftoppm,
        "-r",
        "30",
        "-f",
        "1",
        "-l",
        "1",
        "-singlefile",
        str(pdf),
        str(tmp_path / "p"),
    ]
    subprocess.run(page, check=True, timeout=60)  # noqa: S603 (our own file, no shell)
    width, height, pixels = read_ppm(tmp_path / "p.ppm")
    band_rows = range(1, int(15 / 25.4 * 30) - 1)  # the band is 15 mm high
    colours = Counter(
        tuple(pixels[(y * width + x) * 3 : (y * width + x) * 3 + 3])
        for y in band_rows
        for x in range(width)
    )
    most, count = colours.most_common(1)[0]
    assert most == tier_colour(customer)
    assert count > 0.6 * width * len(band_rows)  # the band, not a stroke of that colour
    below = pixels[(height - 2) * width * 3 : (height - 2) * width * 3 + 3]
    assert tuple(below) != tier_colour(customer)  # the page itself is not in that colour

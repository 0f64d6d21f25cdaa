"""A small demo load shared by the demo tests: a few hundred customers, a couple of thousand
purchases, on a fixed date so that the rows do not depend on the day the tests run."""

from __future__ import annotations

import datetime as dt

import pytest

from tiercard.demo.load import LoadReport, load_demo

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def demo(db: None) -> LoadReport:
    return load_demo(customers=300, purchases=2000, seed=7, as_of=AS_OF)

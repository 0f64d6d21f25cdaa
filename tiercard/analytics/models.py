"""Precomputed dashboard figures: sums per month and per group of customers.

A *group* is the customers sharing one owner, one team and one tier held today
(``owner_key`` / ``team_key`` are the ids, 0 for none). Every figure of a group is a sum over
its customers, and every customer is in exactly one group, so the figures of any set of groups
add up — also the counts of distinct customers (buyers, new, lapsed). A viewer's figures are
the sums over the groups that contain customers the viewer may see (``visibility.visible``).

The tables are rebuilt whole, set-based, by ``rollup.dashboard_refresh``; the application
never edits a row. ``RollupState`` (one row) says when and for which business day.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone


class MonthlyFigure(models.Model):
    month = models.DateField()  # first day, business calendar
    owner_key = models.BigIntegerField()
    team_key = models.BigIntegerField()
    tier = models.CharField(max_length=32)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    orders = models.IntegerField(default=0)
    buyers = models.IntegerField(default=0)
    upgrades = models.IntegerField(default=0)
    downgrades = models.IntegerField(default=0)
    new_customers = models.IntegerField(default=0)
    lapsed = models.IntegerField(default=0)
    points_issued = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)
    points_expired = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "owner_key", "team_key", "tier"], name="monthly_figure_key"
            )
        ]
        indexes = [models.Index(fields=["owner_key", "team_key"], name="monthly_figure_group")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.owner_key}/{self.team_key} {self.tier}"


class CurrentFigure(models.Model):
    """As of the refresh day: customers, lapsed customers and points expiring, per group."""

    owner_key = models.BigIntegerField()
    team_key = models.BigIntegerField()
    tier = models.CharField(max_length=32)
    # The group's lowest customer id. Visibility depends on owner and team alone, so whether a
    # viewer sees into the group is asked of this one customer: a primary-key lookup.
    sample_id = models.BigIntegerField(default=0)
    customers = models.IntegerField(default=0)
    lapsed = models.IntegerField(default=0)
    expiring_30 = models.BigIntegerField(default=0)
    expiring_60 = models.BigIntegerField(default=0)
    expiring_90 = models.BigIntegerField(default=0)
    expiring_customers_30 = models.IntegerField(default=0)
    expiring_customers_60 = models.IntegerField(default=0)
    expiring_customers_90 = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_key", "team_key", "tier"], name="current_figure_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_key}/{self.team_key} {self.tier}"


class OpenFollowUp(models.Model):
    """An interaction whose next step falls due in the window the dashboard lists.

    Only the customer's latest interaction can hold an open follow-up (a later interaction
    settles it); the page checks that again when it reads, and scopes each row by its
    customer, so the list never shows what the viewer may not see.
    """

    interaction_id = models.BigIntegerField(primary_key=True)
    customer_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()  # of the interaction: a later one settles it
    due = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["-due", "customer_id"], name="open_follow_up_due")]

    def __str__(self) -> str:
        return f"{self.interaction_id} {self.due}"


class RollupState(models.Model):
    """The single row (pk 1): the last refresh. Locked by a refresh, so refreshes queue.

    ``started_at`` is when the refresh whose figures are in place began reading: a refresh
    that began earlier never replaces them (compare-and-swap in ``rollup.dashboard_refresh``).
    ``running_since`` is the claim of the background job (``analytics.tasks``): one job runs
    at a time; a job that finds the claim taken sets ``rerun_requested`` and the running one
    goes round once more. ``requested_at``: the last "refresh now" from the page.
    """

    refreshed_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)  # the business day figured
    lapsed_days = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)  # how long the last refresh took
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    rerun_requested = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"dashboard figures as of {self.as_of}"

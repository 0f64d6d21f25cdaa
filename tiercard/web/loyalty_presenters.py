"""Moved to :mod:`tiercard.cards.loyalty_presenters` so that printing, which may not import the web
interface, shares it; web modules keep importing it from here."""

from tiercard.cards.loyalty_presenters import *  # noqa: F403

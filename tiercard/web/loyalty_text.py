"""Moved to :mod:`tiercard.cards.loyalty_text` so that printing, which may not import the web
interface, shares it; web modules keep importing it from here."""

from tiercard.cards.loyalty_text import *  # noqa: F403

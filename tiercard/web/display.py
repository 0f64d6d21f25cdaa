"""Moved to :mod:`tiercard.cards.display` so that printing, which may not import the web
interface, shares it; web modules keep importing it from here."""

from tiercard.cards.display import *  # noqa: F403

"""Tier rules: pure Python, no models, no database.

Metrics of one customer over a window, criteria as a JSON-serialisable AND / OR tree, a
validated ladder of tiers, evaluation with explanations and progress, and the downgrade
policy. Everything here is deterministic and testable without a database; models and services
store ladders in the dict form of ``dump_ladder`` and call these functions.
"""

"""Duplicate customers: normalised match keys, scored candidate pairs (on create, on import and as
a scan over the whole base), a review queue, and merge into a surviving card that can be undone.
"""

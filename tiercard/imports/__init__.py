"""Bring your spreadsheet in: customers (with contacts), purchases (with lines) and interactions
from .xlsx and .csv, with header mapping, a dry run, all-or-nothing or skip-invalid commits, an
error report and undo of a whole batch.
"""

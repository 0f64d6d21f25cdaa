"""Turning rows into downloadable files (CSV with BOM, xlsx), safely and without holding them.

Pure machinery: no models, no scoping, no audit. Whoever exports (the member table, a full
data export) picks the rows through its own scoped selector and audits the export itself.
"""

"""Personal data on request (PIPL) and full-data exports: everything held about one customer as a
file, erasure by anonymisation that keeps aggregates and the ledger whole, and scoped, masked,
audited exports of customers, purchases and the points ledger.
"""

"""Printable PDFs with embedded Chinese fonts: the customer card in its tier's colour and the
member table.
"""

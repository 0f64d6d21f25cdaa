"""Reads of loyalty state. Every read of customer data takes the viewer and is scoped."""

"""Shared kernel: errors, money, time, text and contact normalisation. No concrete models."""

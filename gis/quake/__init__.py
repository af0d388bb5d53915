"""Earthquake incident science: intake parsers, deduplication, intensity, impact, auto-wall."""

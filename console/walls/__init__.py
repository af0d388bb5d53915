"""Saved video walls, tours and push-to-wall."""

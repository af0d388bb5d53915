"""Alembic migrations, applied at start and by `eoc db upgrade`."""

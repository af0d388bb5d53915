"""gis domain package."""

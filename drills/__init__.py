"""drills domain package."""

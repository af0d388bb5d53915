"""GIS layers and community readiness feature module."""

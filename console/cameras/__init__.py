"""The camera registry: cameras, their owning and sharing units, import and export."""

"""Camera ingest: sources, per-camera hubs, packet health, image diagnosis, WebRTC relay."""

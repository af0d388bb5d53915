"""Camera ingest: sources, per-camera hubs, packet health, image diagnosis, WebRTC relay.

Entry points: `streams.urls.parse_source_url` / `mask_url`, `streams.hub.HubRegistry`
(one `CameraHub` per camera), `streams.watch.Watcher` (continuous and patrol watching,
`CameraStatus` reports), `streams.health.PacketHealth`, `streams.diagnosis.Diagnoser`.
"""

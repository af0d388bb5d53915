"""Live view over WebRTC: H.264 pass-through from the camera hub, shared transcodes, peers.

Entry points: `peers.PeerManager` (offer -> answer, limits, reaping, stats), `offers.OfferError`
(reason codes), `snapshot.snapshot_jpeg`, `mjpeg.mjpeg_frames`; `source.PacketSource` is the
hub surface consumed (`streams.hub.CameraHub` satisfies it).
"""

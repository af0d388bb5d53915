"""Live view over WebRTC: H.264 pass-through from the camera hub, shared transcodes, peers."""

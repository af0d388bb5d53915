"""Live view: WebRTC signalling for the video wall, audited per viewer."""

"""Running several console nodes: the NATS JetStream bus, shared locks and caches."""

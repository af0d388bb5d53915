"""Camera health in the console: status, status history, alerts, availability."""

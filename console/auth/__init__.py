"""Authentication (sessions, tokens, passwords) and the single authorization function."""

"""Users, roles and scope, sessions/tokens, and the hash-chained audit log."""

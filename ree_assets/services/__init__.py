"""Clients of outside services (kept out of ``core``: they do I/O)."""

"""Patents: the REE filter, classification and panels (pure functions)."""

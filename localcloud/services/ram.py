"""ram (being written)."""

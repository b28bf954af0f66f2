"""resourcesharing (being written)."""

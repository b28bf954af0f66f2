"""kms (being written)."""

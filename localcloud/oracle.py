"""The oracle (placeholder)."""

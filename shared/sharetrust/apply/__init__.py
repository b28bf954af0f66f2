"""Writing only the difference, verifying it, and retrying on a lost update."""

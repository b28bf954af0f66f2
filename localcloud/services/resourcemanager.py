"""resourcemanager (being written)."""

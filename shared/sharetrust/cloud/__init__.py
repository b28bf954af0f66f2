"""Thin typed gateways, one per service; client construction, endpoints, credentials and retries here."""

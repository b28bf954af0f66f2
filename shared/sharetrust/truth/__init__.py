"""Reading the current facts through the gateways, batched and cached per invocation."""

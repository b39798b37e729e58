"""Reaching an index: the TLS context, proxies, the probe."""

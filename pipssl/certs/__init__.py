"""Certificates without ``ssl``: the DER/X.509 reader, PEM bundles, the OS trust store."""

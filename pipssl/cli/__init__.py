"""The command line (shared by ``pipssl``, ``python -m pipssl`` and get-pipssl.py)."""

"""Shared loopback test bed: isolation, certificates, servers, real pip, no-ssl Pythons.

Tests import the parts they need, e.g. ``from bed.index import serve_index``; the fixtures
that wrap them live in ``tests/conftest.py``.
"""

from __future__ import annotations

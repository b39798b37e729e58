"""Keep credentials out of every line pipssl shows or stores.

pip writes ``user:****@host`` for URLs with a password; we do the same, and also
hide a token given as the user part alone (``https://TOKEN@host``), which is how
many private indexes are configured.
"""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s]+)@")


def _mask(match: re.Match[str]) -> str:
    user, sep, _password = match.group("userinfo").partition(":")
    if sep:
        return "{}{}:****@".format(match.group("scheme"), user)
    return "{}****@".format(match.group("scheme"))


def redact(text: str) -> str:
    """Return ``text`` with the credentials of every URL in it masked.

    Args:
        text: a URL, or any text that may contain URLs.

    Returns:
        The same text, with ``user:password@`` shown as ``user:****@`` and a lone
        ``token@`` shown as ``****@``.
    """
    return _USERINFO.sub(_mask, text)

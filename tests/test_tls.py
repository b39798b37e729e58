"""tls: proxy choice as requests makes it, URL checks, and the handshake reader."""

from __future__ import annotations

from typing import Any

import pytest

from pipssl.errors import UsageError
from pipssl.net import wire
from pipssl.net.probe import probe
from pipssl.net.proxy import Proxy, select_proxy
from pipssl.net.urls import split_url


@pytest.mark.parametrize(
    ("environ", "pip_proxy", "expected"),
    [
        ({}, None, None),
        ({}, "http://p:3128", ("http://p:3128", "pip option proxy")),
        ({"HTTPS_PROXY": "http://e:1"}, "http://p:3128", ("http://p:3128", "pip option proxy")),
        ({"https_proxy": "http://e:1"}, None, ("http://e:1", "environment")),
        ({"ALL_PROXY": "http://a:1"}, None, ("http://a:1", "environment")),
        ({"HTTPS_PROXY": "http://e:1", "NO_PROXY": "127.0.0.1"}, None, None),
        ({"HTTPS_PROXY": "http://e:1", "no_proxy": "127.0.0.0/8"}, None, None),
        ({"HTTPS_PROXY": "http://e:1", "NO_PROXY": "*"}, "http://p:1", ("http://p:1", "pip")),
        ({"HTTP_PROXY": "http://e:1"}, None, None),  # only https_proxy applies to https
    ],
)
def test_select_proxy(environ: Any, pip_proxy: Any, expected: Any) -> None:
    got = select_proxy("https://127.0.0.1:8443/simple/", environ, pip_proxy)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.url == expected[0] and expected[1] in got.origin


def test_no_proxy_suffix_matching() -> None:
    env = {"HTTPS_PROXY": "http://e:1", "NO_PROXY": ".corp.invalid, other.invalid"}
    assert select_proxy("https://pkgs.corp.invalid/simple/", env) is None
    assert select_proxy("https://other.invalid/", env) is None
    assert select_proxy("https://notother.invalid/", env) is not None


@pytest.mark.parametrize(
    ("url", "no_proxy", "raw", "labels"),
    [
        ("https://localhost:8443/", "host", True, False),  # a string suffix, not a label
        ("https://localhost:8443/", ".localhost", True, True),
        ("https://localhost:8443/", "localhost:8443", True, True),
        ("https://localhost:8443/", "localhost:1", False, False),
        ("https://localhost:8443/", "a.invalid,*", False, False),
        ("https://127.0.0.1:8443/", "127.0.0.1:8443", False, False),
        ("https://127.0.0.1:8443/", ".0.0.1", True, True),
        ("https://127.0.0.1:8443/", "127.0.0.0/33", False, False),
        ("https://[::1]:8443/", "::1", True, True),
        ("https://[::1]:8443/", "[::1]", False, False),
    ],
)
def test_no_proxy_rules_of_requests_before_and_from_2_34(
    url: str, no_proxy: str, raw: bool, labels: bool
) -> None:
    """The rules tests/test_probe_as_pip.py measured with real pips (26.1 raw, 26.2 labels)."""
    env = {"HTTPS_PROXY": "http://e:1", "NO_PROXY": no_proxy}
    assert (select_proxy(url, env, label_suffix=False) is None) is raw
    assert (select_proxy(url, env, label_suffix=True) is None) is labels


def test_lower_case_proxy_variables_win_and_pip_proxy_beats_the_environment() -> None:
    url = "https://localhost/simple/"
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"}
    assert select_proxy(url, env) == Proxy("http://lower:1", "environment variable https_proxy")
    assert select_proxy(url, {"HTTPS_PROXY": "http://upper:1", "https_proxy": ""}) is None
    got = select_proxy(url, {"ALL_PROXY": "http://all:1"}, "http://pip:1")
    assert got == Proxy("http://pip:1", "pip option proxy")
    assert select_proxy(url, {"no_proxy": "x.invalid", "NO_PROXY": "localhost", **env})


def test_proxy_display_is_redacted() -> None:
    proxy = Proxy("http://u:pw@127.0.0.1:3128", "environment variable HTTPS_PROXY")
    assert proxy.display == "http://u:****@127.0.0.1:3128"


@pytest.mark.parametrize("url", ["127.0.0.1/simple", "file:///x", "https://", "https://h:0x/"])
def test_split_url_refuses_what_is_not_an_index_url(url: str) -> None:
    with pytest.raises(UsageError):
        split_url(url)


def test_probe_refuses_non_positive_timeout() -> None:
    with pytest.raises(UsageError):
        probe("https://127.0.0.1:9/", timeout=0)


def test_tap_reads_certificates_and_request_from_records() -> None:
    cert_a, cert_b = b"\x30\x03\x02\x01\x01", b"\x30\x03\x02\x01\x02"
    body = b"".join(len(c).to_bytes(3, "big") + c for c in (cert_a, cert_b))
    certificate = b"\x0b" + (len(body) + 3).to_bytes(3, "big") + len(body).to_bytes(3, "big")
    certificate += body
    request = b"\x0d\x00\x00\x00"
    handshake = certificate + request
    record = b"\x16\x03\x03" + len(handshake).to_bytes(2, "big") + handshake
    tap = wire.Tap()
    for i in range(0, len(record), 3):  # fed in small pieces, as TCP may deliver it
        tap.feed(record[i : i + 3])
    assert tap.chain == [cert_a, cert_b] and tap.certificate_request
    assert wire.looks_like_tls(tap.first)
    assert not wire.looks_like_tls(b"HTTP/1.0 400")


def test_tap_ignores_truncated_and_lying_lengths() -> None:
    tap = wire.Tap()
    bogus = b"\x0b\x00\x00\x08\xff\xff\xff\x00\x00\x01\x00\x00"
    tap.feed(b"\x16\x03\x03" + len(bogus).to_bytes(2, "big") + bogus)
    assert tap.chain == []

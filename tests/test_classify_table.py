"""classify as a table: OpenSSL's verify code picks the handler, the wording layer words it.

Hand-built failed probes over the session's certificates: no network, no subprocess.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Tuple

import pytest
from bed.certs import CertWorld

from pipssl.certs.bundle import read_pem
from pipssl.diagnosis.chainfaults import WEAK_CODES
from pipssl.diagnosis.classify import BY_VERIFY_CODE, Stores, classify
from pipssl.interpreter.facts import SslFacts, Target
from pipssl.net.probe import ProbeResult
from pipssl.net.verify_codes import ISSUER_CODES


def _chain(cert_world: CertWorld, kind: str) -> Tuple[bytes, ...]:
    return tuple(c.der for c in read_pem(cert_world.server_cert(kind).chain_pem))


@pytest.mark.once
def test_each_verify_code_goes_to_its_handler_and_its_words(cert_world: CertWorld) -> None:
    """The issuer codes share one handler and the weak ones another; a code no handler
    knows is told as OpenSSL tells it; a host from the network is shown escaped."""
    assert len({BY_VERIFY_CODE[c] for c in ISSUER_CODES}) == 1
    assert len({BY_VERIFY_CODE[c] for c in WEAK_CODES}) == 1
    assert BY_VERIFY_CODE[min(ISSUER_CODES)] is not BY_VERIFY_CODE[min(WEAK_CODES)]
    ssl = SslFacts(True, "OpenSSL 3.0.19", (3, 0, 0, 19, 0), has_tls1_2=True)
    target = Target("/x/python", "3.8.18", "/x", "/x", "linux", ssl, None)
    failed = ProbeResult(
        "https://localhost:9/simple/", "localhost", 9, "tls", False, 0.1,
        failure="verify-failed", verify_code=20, verify_message="unable to get local issuer",
        chain=_chain(cert_world, "good"),
    )  # fmt: skip
    now = datetime.now(timezone.utc)
    nobody = Stores((), (), False)

    (found,) = classify(failed, nobody, target, now, 1.0)
    assert found.code == "untrusted-issuer-unknown"
    assert found.detail.startswith("OpenSSL: unable to get local issuer (code 20)\nissuer: ")
    assert "repair --ca " in found.fix

    odd = replace(failed, verify_code=79, verify_message="invalid CA certificate")
    (found,) = classify(odd, nobody, target, now, 1.0)
    assert found.code == "tls-error"
    assert found.summary == "TLS with localhost failed: invalid CA certificate"

    hostile = replace(failed, host="evil\u202ehost", verify_code=62, verify_message="mismatch")
    (found,) = classify(hostile, nobody, target, now, 1.0)
    assert found.code == "hostname-mismatch"
    assert found.summary == "evil\\u202ehost's certificate is for another host"

"""The planner's builder: each step adds to one Draft, which ends as a Plan built by keywords."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, cast

import pytest

from pipssl.repairing.plan import Draft
from pipssl.repairing.result import Options


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.once
def test_a_draft_reads_each_file_once_and_chains_the_edits_of_one_file(tmp_path: Path) -> None:
    conf = tmp_path / "pip.conf"
    conf.write_bytes(b"[global]\n")
    # the steps read the diagnosis and pip's config; the builder itself needs neither
    draft = Draft(cast(Any, None), Options(), cast(Any, None), "user", str(conf), "/b.pem")
    draft.answers = ("cert-expired",)
    draft.change("set-cert", str(conf), "user", b"[global]\n", "same bytes: no action")
    assert draft.actions == [] and draft.inputs == {str(conf): _sha(b"[global]\n")}
    draft.change("set-cert", str(conf), "user", b"[global]\ncert = /b.pem\n", "first")
    draft.change("remove-cert", str(conf), "user", b"", "second", ())
    conf.write_bytes(b"changed on disk after the read")  # the plan's view is its own
    first, second = draft.actions
    assert (first.answers, second.answers) == (("cert-expired",), ())
    assert second.before == first.after == _sha(b"[global]\ncert = /b.pem\n")
    assert draft.inputs == {str(conf): _sha(b"[global]\n")}

    draft.env_to_unset += ["REQUESTS_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE"]
    draft.env_to_set.append(("REQUESTS_CA_BUNDLE", "/b.pem"))
    plan = draft.plan()
    assert plan.env_to_unset == ("PIP_CERT",)  # a variable a client must see stays set
    assert plan.env_to_set == (("REQUESTS_CA_BUNDLE", "/b.pem"),)
    assert plan.contents == {str(conf): b""} and plan.bundle_diff is None
    assert plan.inputs == ((str(conf), _sha(b"[global]\n")),)

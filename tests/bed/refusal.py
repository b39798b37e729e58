"""What a refusal looks like (exit 2), checked in one place for every bad-input test."""

from __future__ import annotations

import json
import subprocess
from typing import Any, Dict

from pipssl.errors import known


def check_refusal(proc: subprocess.CompletedProcess[str], names: str) -> Dict[str, Any]:
    """``proc`` (run with ``--json``) refused its input as pipssl promises: exit 2, no
    traceback, one error line naming ``names`` and a hint on stderr, and the same two lines
    as the one JSON object on stdout, under a reference pipssl documents.

    Returns:
        The JSON error object.
    """
    both = proc.stdout + proc.stderr
    assert proc.returncode == 2, both
    assert "Traceback" not in both, both
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("pipssl: error: "), both
    assert names in lines[0] and lines[1].startswith("hint: "), both
    answer: Dict[str, Any] = json.loads(proc.stdout)
    assert answer == {
        "schema": 1,
        "ok": False,
        "error": {
            "reference": answer["error"]["reference"],
            "message": lines[0][len("pipssl: error: ") :],
            "hint": lines[1][len("hint: ") :],
        },
    }
    assert known(answer["error"]["reference"]), answer
    return answer

# -*- coding: utf-8 -*-
# Copyright: pipssl contributors
# SPDX-License-Identifier: MIT
"""Run pipssl (the get-pipssl.py the action plugin copied to the target) and read its JSON.

The modules never diagnose or repair anything themselves: every decision is pipssl's, made
by ``get-pipssl.py --json`` run with the target's own Python.  What is here only builds
the command line, reads the one JSON object pipssl prints, and words a failure.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import os
import re
import sys

# pipssl masks credentials in what it prints; a pip config file read here for --diff is
# masked the same way (user:****@host, ****@host) before it leaves the target.
_USERINFO = re.compile(r"://([^/@\s:]+)(:[^/@\s]*)?@")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def masked(text):
    """``text`` with the userinfo of every URL in it masked, as pipssl masks it."""

    def mask(match):
        return "://%s:****@" % match.group(1) if match.group(2) else "://****@"

    return _USERINFO.sub(mask, text)


def common_args(params):
    """The options every pipssl command of the modules shares, as argv."""
    argv = []
    if params.get("python"):
        argv += ["--python", params["python"]]
    for url in params.get("index_url") or ():
        argv += ["--index-url", url]
    if params.get("timeout") is not None:
        argv += ["--timeout", str(params["timeout"])]
    return argv


def run_pipssl(module, argv):
    """Run ``get-pipssl.py --json ARGV`` with the target's Python.

    Returns:
        (exit code, the JSON object pipssl printed, stderr).  A run that printed no JSON
        object fails the task with pipssl's own words: nothing else can be said about it.
    """
    script = module.params["script"]
    if not script or not os.path.isfile(script):
        module.fail_json(msg="get-pipssl.py is not on the target: %s" % script)
    # the target's own Python runs pipssl: no pipssl, certifi or index is needed there
    command = [sys.executable, script, "--json"] + argv
    rc, out, err = module.run_command(command, environ_update={"PYTHONUTF8": "1"})
    try:
        data = json.loads(out)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        module.fail_json(
            msg="pipssl printed no JSON object (exit %s): %s" % (rc, (err or out).strip()),
            rc=rc,
            stderr=err,
        )
    return rc, data, err


def failure_message(data):
    """What a failed pipssl run says: its error (exit 2), or each finding with its fix."""
    error = data.get("error")
    if isinstance(error, dict):
        parts = [error.get("message") or "pipssl refused"]
        if error.get("hint"):
            parts.append("hint: %s" % error["hint"])
        return " ".join(parts)
    lines = []
    for finding in data.get("findings") or ():
        if finding.get("severity") == "info":
            continue
        line = "%s: %s" % (finding.get("code"), finding.get("summary"))
        if finding.get("fix"):
            line += " Fix: %s" % " / ".join(finding["fix"].splitlines())
        lines.append(line)
    if data.get("rolled_back"):
        lines.append("the change did not make pip verify and was rolled back")
    return "; ".join(lines) or data.get("message") or "pipssl reported a problem"


def pem_fingerprints(pem_text):
    """SHA-256 (hex, lower case) of each certificate in a PEM text: the form ``forget``
    and ``--accept-ca`` take."""
    out = []
    for body in _PEM.findall(pem_text):
        der = base64.b64decode("".join(body.split()))
        out.append(hashlib.sha256(der).hexdigest())
    return out


def roots_diff(bundle):
    """Ansible's diff of the roots a bundle gains and drops: one line per root, its
    subject and SHA-256, never the certificate's bytes."""
    if not bundle:
        return None

    def lines(key):
        entries = sorted(bundle.get(key) or (), key=lambda r: (r.get("subject"), r.get("sha256")))
        return "".join("%s  sha256:%s\n" % (r.get("subject"), r.get("sha256")) for r in entries)

    return {
        "before_header": "CA bundle roots dropped",
        "after_header": "CA bundle roots added",
        "before": lines("removed"),
        "after": lines("added"),
    }

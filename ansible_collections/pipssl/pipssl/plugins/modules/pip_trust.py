#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pipssl contributors
# SPDX-License-Identifier: MIT

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pip_trust
short_description: Let pip verify TLS with the CAs it needs, never by turning verification off
description:
  - Runs pipssl's C(repair) (state V(present)) or C(forget) / C(undo) (state V(absent)) with
    the target's own Python. pipssl writes its own CA bundle (certifi's roots, the OS store's
    and the CAs you name), points pip's C(cert) at it, checks that the real pip verifies every
    index, and rolls the change back if it does not.
  - The action plugin copies the collection's C(get-pipssl.py) (pipssl with certifi and
    packaging, standard library only) to the target for each task, so the target needs
    neither pipssl nor any index.
  - Check mode runs C(repair --dry-run), which reports what would change and writes nothing.
  - With C(--diff), the task shows the pip config files' lines before and after (credentials
    masked) and the bundle's roots added and dropped, by subject and SHA-256.
version_added: "0.1.0"
author: pipssl contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) repairs pip's trust with O(ca) and O(accept_ca).
      - V(absent) with O(ca) or O(accept_ca) withdraws those CAs (pipssl C(forget)) and
        rebuilds the bundle without them; without either it undoes the last repair pipssl
        made for the user the task runs as (pipssl C(undo)), restoring the files exactly.
    type: str
    choices: [present, absent]
    default: present
  ca:
    description:
      - CA certificates to trust, each a file on the controller (relative paths are looked up
        as M(ansible.builtin.copy) looks up its O(ansible.builtin.copy#module:src)) or PEM
        text. Only certificates travel; a text holding a private key fails the task.
    type: list
    elements: str
    default: []
  accept_ca:
    description:
      - SHA-256 fingerprints of CAs to trust as C(pipssl doctor) shows them (the CA the
        proxy presents).
    type: list
    elements: str
    default: []
  scope:
    description: Which pip config to change, as pipssl's C(--scope).
    type: str
    choices: [auto, user, site, global]
    default: auto
  python:
    description: The interpreter whose pip to repair. Default the Python the module runs with.
    type: path
  for:
    description:
      - Other installers to point at the same bundle, as pipssl's C(--for) (uv, poetry, pdm,
        conda, requests); the carried get-pipssl.py refuses a name it does not know, so a new
        installer needs no new collection.
    type: list
    elements: str
    default: []
  index_url:
    description: Check these indexes instead of the ones pip is configured with.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds allowed per index, as pipssl's C(--timeout).
    type: float
    default: 5
  script:
    description:
      - The path of C(get-pipssl.py) on the target. The action plugin sets it to the copy it
        makes; set it only to run a copy already on the target.
    type: path
attributes:
  check_mode:
    description: Runs C(repair --dry-run), C(forget --dry-run) or C(undo --list); writes nothing.
    support: full
  diff_mode:
    description: Shows the pip config files before and after, and the bundle's roots added and dropped.
    support: full
notes:
  - The task fails with pipssl's findings (each with its fix) when pip still cannot verify;
    pipssl has then rolled its change back, so no host is left half repaired.
  - C(changed) is false when the repair would write the same bytes.
"""

EXAMPLES = r"""
- name: Trust the corporate root IT rolled out
  pipssl.pipssl.pip_trust:
    ca: files/corp-root.pem
    python: /opt/app/venv/bin/python

- name: Trust the proxy's CA by its fingerprint, for pip and uv
  pipssl.pipssl.pip_trust:
    accept_ca: [0f3c5a...]
    scope: user
    for: [uv]

- name: Withdraw the old root
  pipssl.pipssl.pip_trust:
    state: absent
    ca: files/old-corp-root.pem

- name: Undo the last repair
  pipssl.pipssl.pip_trust:
    state: absent
"""

RETURN = r"""
pipssl:
  description: pipssl's JSON object as it printed it (schema 1; see pipssl's README, JSON output).
  returned: always
  type: dict
findings:
  description: pipssl's findings, each with code, severity, target, summary, detail and fix.
  returned: always
  type: list
  elements: dict
actions:
  description: The files changed (or, in check mode, that would be), each with kind, path and
    the SHA-256 of its bytes before and after.
  returned: always
  type: list
  elements: dict
bundle:
  description: The roots the bundle gained and lost, C(added) and C(removed), each with
    subject and sha256; null when the bundle did not change.
  returned: state is present, or absent with ca or accept_ca
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pipssl.pipssl.plugins.module_utils.pipssl_cli import (
    common_args,
    failure_message,
    masked,
    pem_fingerprints,
    roots_diff,
    run_pipssl,
)

# the kinds of action that edit a config file (the bundle and pipssl's own state are
# shown by their roots, never by their bytes)
_CONFIG_KINDS = ("set-cert", "remove-cert", "remove-trusted-host")


def ca_files(module):
    """Write each CA's PEM text to a file of the module's temporary directory: pipssl's
    ``--ca`` reads a file."""
    paths = []
    for number, pem in enumerate(module.params["ca"]):
        if "-----BEGIN CERTIFICATE-----" not in pem:
            module.fail_json(msg="ca #%d is neither a controller file nor PEM text" % number)
        path = os.path.join(module.tmpdir, "ca-%d.pem" % number)
        with open(path, "w") as handle:
            handle.write(pem)
        paths.append(path)
    return paths


def repair_argv(module):
    params = module.params
    argv = ["repair", "--dry-run" if module.check_mode else "--yes", "--scope", params["scope"]]
    for path in ca_files(module):
        argv += ["--ca", path]
    for sha in params["accept_ca"]:
        argv += ["--accept-ca", sha]
    if params["for"]:
        argv += ["--for", ",".join(params["for"])]
    return argv + common_args(params)


def forget_argv(module, fingerprints):
    params = module.params
    argv = ["forget", "--dry-run" if module.check_mode else "--yes", "--scope", params["scope"]]
    if params.get("python"):
        argv += ["--python", params["python"]]
    argv += ["--timeout", str(params["timeout"])]
    return argv + fingerprints


def read_text(path):
    try:
        with open(path, "rb") as handle:
            return masked(handle.read().decode("utf-8", "replace"))
    except (IOError, OSError):
        return ""


def config_paths(actions):
    return sorted({a["path"] for a in actions if a.get("kind") in _CONFIG_KINDS})


def planned(module, argv):
    """The paths a real run will edit: asked of ``--dry-run`` first, only for --diff."""
    dry = ["--dry-run" if a == "--yes" else a for a in argv]
    rc, data, _err = run_pipssl(module, dry)
    return config_paths(data.get("actions") or []) if rc != 2 else []


def file_diffs(before, paths):
    return [
        {"before_header": p, "after_header": p, "before": before.get(p, ""), "after": read_text(p)}
        for p in paths
    ]


def check_diff(actions):
    """Check mode cannot show the bytes pipssl would write: the plan's own lines instead."""
    lines = ["%s %s: %s" % (a.get("kind"), a.get("path"), a.get("detail")) for a in actions]
    return {"prepared": "\n".join(lines) + "\n"} if lines else None


def run_changes(module, argv, withdrawing=False):
    """Run a repair or a forget; return the module's result."""
    before = {}
    if module._diff and not module.check_mode:
        before = {p: read_text(p) for p in planned(module, argv)}
    rc, data, _err = run_pipssl(module, argv)
    actions = data.get("actions") or []
    result = {
        "changed": bool(data.get("changed")) or (module.check_mode and bool(actions)),
        "pipssl": data,
        "findings": data.get("findings") or [],
        "actions": actions,
        "bundle": data.get("bundle"),
    }
    if module._diff:
        diffs = file_diffs(before, sorted(set(before) | set(config_paths(actions))))
        if module.check_mode:
            diffs = [d for d in [check_diff(actions)] if d]
        roots = roots_diff(data.get("bundle"))
        result["diff"] = diffs + ([roots] if roots else [])
    if rc == 2 or not succeeded(module, data, withdrawing):
        module.fail_json(msg=failure_message(data), **result)
    if withdrawing and data.get("still_failing"):
        # what was asked: an index that needed the withdrawn CA fails from now on
        module.warn("pip now fails for: %s" % ", ".join(map(str, data["still_failing"])))
    return result


def succeeded(module, data, withdrawing):
    """A real repair succeeded when pip verifies (``ok``); a withdrawal when pipssl kept
    it (an index that needed the CA withdrawn fails, as asked).  A dry run never verifies,
    so it succeeds when the plan leaves no problem (its ``findings``)."""
    if module.check_mode:
        return not [f for f in data.get("findings") or [] if f.get("severity") != "info"]
    if withdrawing:
        return not data.get("rolled_back")
    return bool(data.get("ok"))


def _bare(fingerprint):
    return fingerprint.replace(":", "").lower()


def withdraw(module, fingerprints):
    """Withdraw those of ``fingerprints`` pipssl holds as consented; none: no change."""
    _rc, listing, _err = run_pipssl(module, ["forget"])
    # pipssl spells a fingerprint with colons in upper case; a PEM's is computed here bare
    held = {_bare(c.get("sha256") or ""): c.get("sha256") for c in listing.get("consented") or []}
    wanted = sorted({held[_bare(f)] for f in fingerprints if _bare(f) in held})
    if not wanted:
        return {"changed": False, "pipssl": listing, "findings": [], "actions": [], "bundle": None}
    return run_changes(module, forget_argv(module, wanted), withdrawing=True)


def undo(module):
    """Undo the last repair pipssl made for this user; nothing to undo is no change."""
    rc, listing, _err = run_pipssl(module, ["undo", "--list"])
    records = [r for r in listing.get("records") or [] if r.get("status") == "undoable"]
    if rc != 0 or not records:
        return {"changed": False, "pipssl": listing, "findings": [], "actions": []}
    files = [f.get("path") for f in records[0].get("files") or []]
    if module.check_mode:
        result = {"changed": True, "pipssl": listing, "findings": [], "actions": []}
        if module._diff:
            result["diff"] = [{"prepared": "undo %s: %s\n" % (records[0].get("label"), files)}]
        return result
    before = {p: read_text(p) for p in files if p.endswith(".conf") or p.endswith(".ini")}
    rc, data, _err = run_pipssl(module, ["undo"])
    result = {"changed": rc == 0, "pipssl": data, "findings": [], "actions": []}
    if module._diff:
        result["diff"] = file_diffs(before, sorted(before))
    if rc != 0:
        module.fail_json(msg=failure_message(data), **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            ca=dict(type="list", elements="str", default=[]),
            accept_ca=dict(type="list", elements="str", default=[]),
            scope=dict(type="str", choices=["auto", "user", "site", "global"], default="auto"),
            python=dict(type="path"),
            index_url=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=5),
            script=dict(type="path"),
            **{
                "for": dict(type="list", elements="str", default=[])
            }
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "present":
        module.exit_json(**run_changes(module, repair_argv(module)))
    fingerprints = list(params["accept_ca"])
    for pem in params["ca"]:
        fingerprints += pem_fingerprints(pem)
    if fingerprints:
        module.exit_json(**withdraw(module, fingerprints))
    module.exit_json(**undo(module))


if __name__ == "__main__":
    main()

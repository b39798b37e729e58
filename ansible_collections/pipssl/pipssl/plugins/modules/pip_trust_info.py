#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pipssl contributors
# SPDX-License-Identifier: MIT

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pip_trust_info
short_description: pipssl's diagnosis of pip's TLS trust, as data
description:
  - Runs C(pipssl doctor) with the target's own Python and returns its report, that is the
    findings, each index's verdict (the real pip's, when it was asked), the interpreter
    and the pip version. It changes nothing.
  - The action plugin copies the collection's C(get-pipssl.py) to the target for each task,
    so the target needs neither pipssl nor any index. A Python without a working C(ssl)
    module is diagnosed like any other; the report carries the finding that says so.
version_added: "0.1.0"
author: pipssl contributors (!UNKNOWN)
options:
  python:
    description: The interpreter whose pip to diagnose. Default the Python the module runs with.
    type: path
  index_url:
    description: Check these indexes instead of the ones pip is configured with.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds allowed per index, as pipssl's C(--timeout).
    type: float
    default: 5
  quick:
    description: pipssl's model alone, asking neither the real pip nor the other clients (faster, not confirmed).
    type: bool
    default: false
  script:
    description:
      - The path of C(get-pipssl.py) on the target. The action plugin sets it to the copy it
        makes; set it only to run a copy already on the target.
    type: path
attributes:
  check_mode:
    description: The module changes nothing in any mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show.
    support: none
notes:
  - The task fails only when pipssl cannot run (bad input); a host whose pip cannot verify is
    a report with O(ignore:ok=false), not a failure.
"""

EXAMPLES = r"""
- name: Diagnose pip's trust
  pipssl.pipssl.pip_trust_info:
    python: /opt/app/venv/bin/python
  register: trust

- name: Show why it fails
  ansible.builtin.debug:
    msg: "{{ trust.findings | map(attribute='code') | list }}"
  when: not trust.ok
"""

RETURN = r"""
ok:
  description: Whether pip verifies every index it uses.
  returned: always
  type: bool
causes:
  description: The codes of the findings that are not merely informational, in pipssl's order.
  returned: always
  type: list
  elements: str
findings:
  description: pipssl's findings, each with code, severity, target, summary, detail and fix.
  returned: always
  type: list
  elements: dict
indexes:
  description: One entry per index pip contacts, with url, ok (the real pip's verdict when it
    was asked), stage, error, confirmed and pip_error.
  returned: always
  type: list
  elements: dict
interpreter:
  description: The Python diagnosed (executable, version, kind, OpenSSL).
  returned: always
  type: dict
pip:
  description: That Python's pip (version, what it verifies with and why, its config files);
    null when it has none.
  returned: always
  type: dict
pipssl:
  description: pipssl's JSON object as it printed it (schema 1).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pipssl.pipssl.plugins.module_utils.pipssl_cli import (
    common_args,
    failure_message,
    run_pipssl,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            python=dict(type="path"),
            index_url=dict(type="list", elements="str", default=[]),
            timeout=dict(type="float", default=5),
            quick=dict(type="bool", default=False),
            script=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    argv = ["doctor"] + common_args(module.params)
    if module.params["quick"]:
        argv.append("--quick")
    rc, data, _err = run_pipssl(module, argv)
    if rc == 2:
        module.fail_json(msg=failure_message(data), pipssl=data)
    findings = data.get("findings") or []
    module.exit_json(
        changed=False,
        ok=bool(data.get("ok")),
        causes=[f.get("code") for f in findings if f.get("severity") != "info"],
        findings=findings,
        indexes=data.get("targets") or [],
        interpreter=data.get("python") or {},
        pip=data.get("pip"),
        pipssl=data,
    )


if __name__ == "__main__":
    main()

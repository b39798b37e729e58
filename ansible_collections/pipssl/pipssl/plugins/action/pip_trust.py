# -*- coding: utf-8 -*-
# Copyright: pipssl contributors
# SPDX-License-Identifier: MIT
"""Deliver pipssl to the target, then run the module that drives it.

The target needs neither pipssl nor an index: each task copies the collection's
``get-pipssl.py`` (pipssl, certifi and packaging in one file, checked by its own SHA-256
when it runs) into the task's temporary directory, which Ansible removes afterwards.  A CA
named by a controller path is read here and sent as PEM text; a text that holds a private
key is refused before anything leaves the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

# no .py in the collection: it is generated, not a plugin (ansible-test lints every .py)
BOOTSTRAP = os.path.join(os.path.dirname(__file__), "..", "..", "files", "get-pipssl")


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    MODULE = "pipssl.pipssl.pip_trust"

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        if "ca" in args:
            named = args["ca"] or []
            args["ca"] = [self._pem(item) for item in ([named] if isinstance(named, str) else named)]
        try:
            if not args.get("script"):
                args["script"] = self._deliver()
            result.update(
                self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _deliver(self):
        """Copy get-pipssl.py into the task's temporary directory; its path there."""
        source = os.path.realpath(BOOTSTRAP)
        if not os.path.isfile(source):
            raise AnsibleActionFail("the collection has no files/get-pipssl: %s" % source)
        if self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        remote = self._connection._shell.join_path(self._connection._shell.tmpdir, "get-pipssl.py")
        self._transfer_file(source, remote)
        self._fixup_perms2((self._connection._shell.tmpdir, remote), execute=False)
        return remote

    def _pem(self, item):
        """A ``ca`` item as PEM text: itself when it is PEM, else a controller file's text."""
        text = to_text(item)
        if "-----BEGIN" not in text:
            try:
                path = self._find_needle("files", text)
                with open(path, "rb") as handle:
                    text = to_text(handle.read(), errors="surrogate_or_strict")
            except (IOError, OSError, UnicodeError) as exc:
                raise AnsibleActionFail("ca %s cannot be read: %s" % (item, exc))
            except Exception as exc:  # _find_needle raises AnsibleError for a missing file
                raise AnsibleActionFail("ca %s: %s" % (item, exc))
        if "PRIVATE KEY" in text:
            raise AnsibleActionFail(
                "ca %s holds a private key: only CA certificates are sent to the target"
                % ("text" if "-----BEGIN" in to_text(item) else item)
            )
        return text

# -*- coding: utf-8 -*-
# Copyright: pipssl contributors
# SPDX-License-Identifier: MIT
"""Deliver pipssl to the target, then run pip_trust_info (see the pip_trust action)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.pipssl.pipssl.plugins.action.pip_trust import (
    ActionModule as _Deliver,
)


class ActionModule(_Deliver):
    MODULE = "pipssl.pipssl.pip_trust_info"

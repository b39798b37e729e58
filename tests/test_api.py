"""The library as a provisioning script uses it: options, plan, look, apply, and the real
pip reaching the index after."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Dict, get_args

import pytest
from bed.certs import CertWorld
from bed.isolation import IsolatedEnv
from bed.pip import pip_download, url_host_for
from bed.world import World

import pipssl
from pipssl.repairing.result import ActionKind


@pytest.mark.once
def test_plan_then_apply_makes_the_real_pip_reach_the_index(
    venvs: Dict[str, Path],
    pip_world: World,
    make_index: Any,
    cert_world: CertWorld,
    isolated_env: IsolatedEnv,
    tmp_path: Path,
) -> None:
    pip_world.user_scope().os_store()
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    options = pipssl.RepairOptions(
        ca_files=[str(cert_world.path("intercept.pem"))],  # a list is kept as a tuple
        scope="user",
        python=str(python),
        index_urls=[index.url],
    )
    assert options.ca_files == (str(cert_world.path("intercept.pem")),)

    plan = pipssl.plan(options)
    assert isinstance(plan, pipssl.Plan)
    assert [a.kind for a in plan.actions] == ["write-bundle", "set-cert", "record-consent"]
    assert all(isinstance(a, pipssl.Action) for a in plan.actions)
    assert {a.kind for a in plan.actions} <= set(get_args(ActionKind))
    assert plan.scope == "user" and not plan.manual
    conf = Path(plan.config_file)
    assert not conf.exists(), "planning writes nothing"

    # only a plan pipssl made can be applied: one without its diagnosis is refused
    with pytest.raises(pipssl.PipsslError, match="no diagnosis"):
        pipssl.apply(dataclasses.replace(plan, diagnosis=None))
    assert not conf.exists()

    result = pipssl.apply(plan)
    assert isinstance(result, pipssl.RepairResult)
    assert result.ok and result.changed and not result.rolled_back, result.message
    assert [a.kind for a in result.actions] == [a.kind for a in plan.actions]
    assert f"cert = {plan.bundle}" in conf.read_text()
    got = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert got.returncode == 0, got.stdout + got.stderr


@pytest.mark.once
@pytest.mark.parametrize("field", ["ca_files", "accept_ca", "index_urls", "clients_for", "forget"])
def test_options_refuse_one_string_for_a_list(field: str) -> None:
    # "corp.pem" would otherwise be eight files named by one letter each
    with pytest.raises(pipssl.PipsslError, match=f"{field}: give a list"):
        pipssl.RepairOptions(**{field: "corp.pem"})


@pytest.mark.once
def test_options_are_frozen_and_keywords_still_build_them() -> None:
    options = pipssl.RepairOptions(scope="user")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.scope = "site"  # type: ignore[misc]
    with pytest.raises(TypeError, match="ca_file"):
        pipssl.plan(ca_file=["corp.pem"])  # a misspelt keyword fails before any diagnosis

"""pipssl.repairing.plan: the planner as the pure function it is, case by case.

Each case builds a :class:`Diagnosis` by hand: a ``Target`` (no interpreter is run), pip's
config read by ``pipconfig.load`` from files under ``tmp_path`` (``PIP_CONFIG_FILE`` names the
env file), the findings the case chooses, pip's trust, and no probes.  The plan must hold
exactly the actions (kind, path, scope, answers, digests before and after), the findings
left to the user, the variables to unset, and the digest of every file it read.  No
network, no subprocess: each case runs in milliseconds.

The real /etc/pip.conf of Linux cannot be redirected; it takes part as the global file it
is, which never outranks the files these cases edit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import pytest
from bed.certs import CertWorld

from pipssl.certs import bundle as cabundle
from pipssl.certs.compose import build_bundle
from pipssl.certs.consent import consent_path, forgotten_path, merged, render_consent
from pipssl.diagnosis.api import Diagnosis
from pipssl.diagnosis.report import Finding, PipInfo, PythonInfo, Report
from pipssl.interpreter import pipconfig
from pipssl.interpreter.facts import PipFacts, SslFacts, Target
from pipssl.interpreter.trust import pip_trust
from pipssl.repairing.plan import plan_repair, stale_inputs
from pipssl.repairing.result import Options, Plan

URL = "https://127.0.0.1:8443/simple/"
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)


def sha256(data: Optional[bytes]) -> Optional[str]:
    return None if data is None else hashlib.sha256(data).hexdigest()


class Machine:
    """A machine on disk under ``tmp_path``: home, config dirs, a venv prefix (its site
    file), an env file, and an OS store of one CA; nothing of the real machine's but
    /etc/pip.conf."""

    def __init__(self, tmp: Path, certs: CertWorld) -> None:
        self.certs = certs
        home = tmp / "home"
        prefix = tmp / "venv"
        (tmp / "os-certs").mkdir()
        self.env: Dict[str, str] = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CONFIG_DIRS": str(tmp / "xdg"),
            "PIP_CONFIG_FILE": str(tmp / "pip-env.conf"),
            "SSL_CERT_FILE": str(certs.path("root.pem")),
            "SSL_CERT_DIR": str(tmp / "os-certs"),
        }
        self.target = Target(
            str(prefix / "bin" / "python"),
            "3.12.1",
            str(prefix),
            str(tmp / "base"),
            "linux",
            SslFacts(ok=True, openssl="OpenSSL 3.0.13"),
            PipFacts("24.2", str(prefix / "lib" / "site-packages" / "pip")),
        )
        self.paths = {
            "env": tmp / "pip-env.conf",
            "user": home / ".config" / "pip" / "pip.conf",
            "site": prefix / "pip.conf",
            "bundle": home / ".local" / "share" / "pipssl" / "ca-bundle.pem",
            "site-bundle": prefix / "share" / "pipssl" / "ca-bundle.pem",
            "valid-ca": certs.path("root.pem"),
            "missing-ca": tmp / "gone" / "corp.pem",
            "consent": home / ".local" / "state" / "pipssl" / "consent.json",
        }

    def path(self, name: str) -> str:
        return str(self.paths[name])

    def fill(self, text: str) -> str:
        """``{bundle}``, ``{missing-ca}`` ... in ``text`` replaced by the paths."""
        for name, path in self.paths.items():
            text = text.replace("{" + name + "}", str(path))
        return text

    def write(self, files: Dict[str, str]) -> None:
        for name, text in files.items():
            path = self.paths[name]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.fill(text), encoding="utf-8")

    def diagnosis(self, codes: Sequence[str] = (), **env: str) -> Diagnosis:
        environ = dict(self.env, **env)
        config = pipconfig.load(environ, **self.target.config_args())
        trust = pip_trust(self.target, config, environ)
        findings = tuple(
            Finding.make(code, URL, f"{code} (a case of test_plan)") for code in codes
        )
        report = Report(
            PythonInfo(self.target.executable, self.target.version, "venv", "OpenSSL 3.0.13"),
            PipInfo("24.2", trust.truststore, trust.describe(), trust.sources, config.files),
            findings,
        )
        return Diagnosis(
            self.target, tuple(sorted(environ.items())), config, (URL,), trust, (), report, NOW
        )

    def named_ca(self) -> Tuple[Any, str]:
        (cert,) = cabundle.load_cafile(str(self.certs.path("intercept.pem")))
        return cert, "named by the user: intercept.pem"


@pytest.fixture
def machine(tmp_path: Path, cert_world: CertWorld) -> Machine:
    return Machine(tmp_path, cert_world)


# Each case: files written first, findings, options (extra_cas=True names intercept.pem),
# extra environment; then the actions as (kind, file, scope, answers) and each edited
# file's text after the plan (None: the bundle, as build_bundle makes it, or the consent
# store as render_consent makes it), the codes left
# to the user and the variables to unset.
IN_STORE = "untrusted-issuer-in-system-store"
UNKNOWN = "untrusted-issuer-unknown"
CASES: Dict[str, Dict[str, Any]] = {
    "issuer-in-os-store: bundle + cert": dict(
        files={"env": ""},
        codes=[IN_STORE],
        actions=[
            ("write-bundle", "bundle", "env", (IN_STORE,)),
            ("set-cert", "env", "env", (IN_STORE,)),
        ],
        after={"bundle": None, "env": "[global]\ncert = {bundle}\n"},
    ),
    "issuer-unknown, no CA named: nothing to do": dict(
        files={"env": ""},
        codes=[UNKNOWN],
    ),
    "issuer-unknown, a CA named: bundle + cert": dict(
        files={"env": "[global]\ntimeout = 30\n"},
        codes=[UNKNOWN],
        options={"extra_cas": True},
        actions=[
            ("write-bundle", "bundle", "env", (UNKNOWN,)),
            ("set-cert", "env", "env", (UNKNOWN,)),
            ("record-consent", "consent", "pipssl", ()),
        ],
        after={
            "bundle": None,
            "env": "[global]\ntimeout = 30\ncert = {bundle}\n",
            "consent": None,
        },
    ),
    "a CA named without any finding: bundle + cert answering nothing": dict(
        files={"env": ""},
        options={"extra_cas": True},
        actions=[
            ("write-bundle", "bundle", "env", ()),
            ("set-cert", "env", "env", ()),
            ("record-consent", "consent", "pipssl", ()),
        ],
        after={"bundle": None, "env": "[global]\ncert = {bundle}\n", "consent": None},
    ),
    "no env file, in a venv: the site scope and its bundle": dict(
        codes=[IN_STORE],
        actions=[
            ("write-bundle", "site-bundle", "site", (IN_STORE,)),
            ("set-cert", "site", "site", (IN_STORE,)),
        ],
        after={"site-bundle": None, "site": "[global]\ncert = {site-bundle}\n"},
    ),
    "cert-expired: the user's alone": dict(
        files={"env": ""},
        codes=["cert-expired"],
        manual=["cert-expired"],
    ),
    "cert-expired beside a fixable finding: both": dict(
        files={"env": ""},
        codes=[IN_STORE, "cert-expired"],
        actions=[
            ("write-bundle", "bundle", "env", (IN_STORE,)),
            ("set-cert", "env", "env", (IN_STORE,)),
        ],
        after={"bundle": None, "env": "[global]\ncert = {bundle}\n"},
        manual=["cert-expired"],
    ),
    "PIP_CERT would override the file: left to unset": dict(
        files={"env": ""},
        codes=[IN_STORE],
        env={"PIP_CERT": "{valid-ca}"},
        actions=[
            ("write-bundle", "bundle", "env", (IN_STORE,)),
            ("set-cert", "env", "env", (IN_STORE,)),
        ],
        after={"bundle": None, "env": "[global]\ncert = {bundle}\n"},
        unset=["PIP_CERT"],
    ),
    "REQUESTS_CA_BUNDLE overrides pip's cert: left to unset even with nothing to fix": dict(
        files={"env": ""},
        env={"REQUESTS_CA_BUNDLE": "{valid-ca}"},
        unset=["REQUESTS_CA_BUNDLE"],
    ),
    "a broken cert in a winning scope (site over user): removed": dict(
        files={"site": "[global]\ncert = {missing-ca}\ntimeout = 30\n"},
        codes=["cafile-missing"],
        options={"scope": "user"},
        actions=[
            ("write-bundle", "bundle", "user", ("cafile-missing",)),
            ("set-cert", "user", "user", ("cafile-missing",)),
            ("remove-cert", "site", "site", ("cafile-missing",)),
        ],
        after={
            "bundle": None,
            "user": "[global]\ncert = {bundle}\n",
            "site": "[global]\ntimeout = 30\n",
        },
    ),
    "a broken cert in the install section of the same file: removed after the set": dict(
        files={"env": "[global]\ntimeout = 30\n\n[install]\ncert = {missing-ca}\n"},
        codes=["cafile-missing"],
        actions=[
            ("write-bundle", "bundle", "env", ("cafile-missing",)),
            ("set-cert", "env", "env", ("cafile-missing",)),
            ("remove-cert", "env", "env", ("cafile-missing",)),
        ],
        after={"bundle": None, "env": "[global]\ntimeout = 30\ncert = {bundle}\n\n[install]\n"},
    ),
    "a working cert in a winning scope: reported, not removed": dict(
        files={"site": "[global]\ncert = {valid-ca}\n"},
        codes=[IN_STORE],
        options={"scope": "user"},
        actions=[
            ("write-bundle", "bundle", "user", (IN_STORE,)),
            ("set-cert", "user", "user", (IN_STORE,)),
        ],
        after={"bundle": None, "user": "[global]\ncert = {bundle}\n"},
        manual=["env-shadows-config"],
    ),
    "trusted-host, not asked to remove it: nothing": dict(
        files={"env": "[global]\ntrusted-host = 127.0.0.1 localhost\n"},
        codes=["insecure-trusted-host"],
    ),
    "trusted-host, asked to remove it: removed": dict(
        files={"env": "[global]\ntrusted-host = 127.0.0.1 localhost\ntimeout = 30\n"},
        codes=["insecure-trusted-host"],
        options={"remove_trusted_host": True},
        actions=[("remove-trusted-host", "env", "env", ())],
        after={"env": "[global]\ntimeout = 30\n"},
    ),
    "trusted-host in the environment, asked to remove it: left to unset": dict(
        files={"env": ""},
        codes=["insecure-trusted-host"],
        options={"remove_trusted_host": True},
        env={"PIP_TRUSTED_HOST": "127.0.0.1"},
        unset=["PIP_TRUSTED_HOST"],
    ),
}


def options_for(machine: Machine, spec: Dict[str, Any]) -> Options:
    asked = dict(spec.get("options", {}))
    if asked.pop("extra_cas", False):
        asked["extra_cas"] = (machine.named_ca(),)
    return Options(**asked)


@pytest.mark.parametrize("name", CASES)
def test_plan(machine: Machine, name: str) -> None:
    spec = CASES[name]
    machine.write(spec.get("files", {}))
    before = {n: p.read_bytes() for n, p in machine.paths.items() if p.is_file()}
    extra_env = {k: machine.fill(v) for k, v in spec.get("env", {}).items()}
    diagnosis = machine.diagnosis(spec.get("codes", ()), **extra_env)
    options = options_for(machine, spec)
    plan = plan_repair(diagnosis, options)

    expected_after: Dict[str, bytes] = {}
    for file, text in spec.get("after", {}).items():
        consented = merged((), options.extra_cas, (), diagnosis.now)
        if text is None and file == "consent":
            data = render_consent(consented) or b""
        elif text is None:
            data = build_bundle((), diagnosis.env, consented)
        else:
            data = machine.fill(text).encode("utf-8")
        expected_after[file] = data
    assert [(a.kind, a.path, a.scope, a.answers) for a in plan.actions] == [
        (kind, machine.path(file), scope, answers)
        for kind, file, scope, answers in spec.get("actions", [])
    ]
    # Digests chain: an action's "before" is the file as the previous action left it.
    digest = {machine.path(n): sha256(data) for n, data in before.items()}
    for action in plan.actions:
        assert action.before == digest.get(action.path), action
        digest[action.path] = action.after
    assert plan.contents == {machine.path(file): data for file, data in expected_after.items()}
    last = {a.path: a.after for a in plan.actions}
    assert last == {machine.path(f): sha256(d) for f, d in expected_after.items()}
    assert [f.code for f in plan.manual] == spec.get("manual", [])
    assert list(plan.env_to_unset) == spec.get("unset", [])
    assert plan.env_to_set == ()
    # Every file read is an input, with its digest then: pip's config files (existing or
    # not) and every file an action writes.
    inputs = dict(plan.inputs)
    expected_paths = {f.path for f in diagnosis.config.files} | set(plan.contents)
    expected_paths.add(consent_path(diagnosis.env))  # read even when nothing is consented
    expected_paths.add(forgotten_path(diagnosis.env))  # and the CAs withdrawn
    # with no consent store yet, the bundle of an older pipssl is read for the CAs it holds
    bundles = {machine.path("bundle"), machine.path("site-bundle")}
    assert expected_paths <= set(inputs) and set(inputs) - expected_paths <= bundles
    for path, recorded in inputs.items():
        data = Path(path).read_bytes() if Path(path).is_file() else None
        assert recorded == sha256(data), path
    assert stale_inputs(plan) == []


def plan_for(machine: Machine, *codes: str, **options: Any) -> Plan:
    return plan_repair(machine.diagnosis(codes), Options(**options))


def test_a_healthy_machine_using_pipssls_bundle_gets_it_rebuilt_only_when_it_differs(
    machine: Machine,
) -> None:
    machine.write({"env": "[global]\ncert = {bundle}\n"})
    bundle = machine.paths["bundle"]
    built = build_bundle((), machine.env, ())
    # no bundle yet: write it, answering nothing (the cert line is already there)
    plan = plan_for(machine)
    assert [(a.kind, a.path, a.answers, a.before) for a in plan.actions] == [
        ("write-bundle", str(bundle), (), None)
    ]
    assert plan.contents == {str(bundle): built}
    # the same bytes: nothing to do
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(built)
    assert plan_for(machine).actions == ()
    # other bytes (an older certifi, a CA since removed from the OS store): rebuilt
    bundle.write_bytes(built + b"\n# stale\n")
    (action,) = plan_for(machine).actions
    assert (action.kind, action.before, action.after) == (
        "write-bundle",
        sha256(built + b"\n# stale\n"),
        sha256(built),
    )


def test_the_plan_is_the_same_for_the_same_inputs(machine: Machine) -> None:
    machine.write({"env": "[global]\ntimeout = 30\n"})
    first = plan_for(machine, IN_STORE)
    again = plan_for(machine, IN_STORE)
    assert first.same_changes(again)
    assert (first.actions, first.inputs, first.contents) == (
        again.actions,
        again.inputs,
        again.contents,
    )


def test_a_config_given_again_replaces_the_diagnosis_one(machine: Machine) -> None:
    """Applying plans again under the lock with pip's config as it is then."""
    machine.write({"env": ""})
    diagnosis = machine.diagnosis([IN_STORE])
    machine.write({"env": "[global]\ncert = {bundle}\n"})
    now = pipconfig.load(diagnosis.env, **machine.target.config_args())
    plan = plan_repair(diagnosis, Options(), config=now)
    # the cert line is there now: only the bundle is left to write
    assert [a.kind for a in plan.actions] == ["write-bundle"]


def test_stale_inputs_names_each_file_that_changed_since(machine: Machine) -> None:
    machine.write({"env": "[global]\ntimeout = 30\n"})
    plan = plan_for(machine, IN_STORE)
    assert stale_inputs(plan) == []
    machine.write({"env": "[global]\ntimeout = 60\n"})
    assert stale_inputs(plan) == [machine.path("env")]
    # a file that did not exist (the bundle; the user file pip skips beside PIP_CONFIG_FILE)
    machine.write({"user": "[global]\n"})
    bundle = machine.paths["bundle"]
    bundle.parent.mkdir(parents=True)
    bundle.write_bytes(b"")
    assert stale_inputs(plan) == sorted(
        [machine.path("env"), machine.path("user"), machine.path("bundle")]
    )
    # back to the bytes the plan was made from: not stale any more
    machine.write({"env": "[global]\ntimeout = 30\n"})
    assert machine.path("env") not in stale_inputs(plan)


def test_an_unreadable_input_is_stale_once_it_can_be_read(machine: Machine) -> None:
    """A config path that is a directory is fingerprinted as "unreadable", not skipped."""
    machine.paths["user"].mkdir(parents=True)
    plan = plan_for(machine, IN_STORE, scope="auto")
    assert dict(plan.inputs)[machine.path("user")] == "unreadable"
    assert stale_inputs(plan) == []
    machine.paths["user"].rmdir()
    assert stale_inputs(plan) == [machine.path("user")]

"""The contract is what the docs say: the README's and docs/provisioning.md's tables of exit
codes, finding codes, error references and JSON keys, read out of the pages and checked
against the code, so that a change to one without the other fails here."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest
from bed.isolation import IsolatedEnv
from bed.world import World

from pipssl import codes
from pipssl.cli import main as cli
from pipssl.cli.parser import EXIT_USAGE, build_parser
from pipssl.errors import REFERENCES, PipsslError

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
PROVISIONING = (REPO / "docs" / "provisioning.md").read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def top_level(prose: str) -> List[str]:
    """The backticked names of a prose list of JSON keys, without what their parentheses,
    brackets and braces say about the keys inside them."""
    flat, depth = [], 0
    for char in prose:
        depth += char in "([{"
        if depth == 0:
            flat.append(char)
        depth -= char in ")]}"
    return re.findall(r"`([a-z_]+)`", "".join(flat))


def quoted_keys(prose: str) -> Set[str]:
    return set(re.findall(r"\"([a-z0-9_]+)\"", prose))


def blank(cls: Any) -> Any:
    """An instance of a dataclass with every field None: enough for its keys."""
    return cls(**{f.name: None for f in dataclasses.fields(cls)})


# --- exit codes ---------------------------------------------------------------------------


def test_exit_codes_are_the_ones_the_docs_list() -> None:
    assert (cli.EXIT_OK, cli.EXIT_PROBLEMS, EXIT_USAGE) == (0, 1, 2)
    assert "exit 0 healthy, 1 problems, 2 bad input" in README
    table = between(PROVISIONING, "| exit | stdout (`--json`) | meaning |", "\n\n")
    rows = re.findall(r"^\| (\d) \| one JSON object, `\"ok\": (true|false)`", table, re.M)
    assert rows == [("0", "true"), ("1", "false"), ("2", "false")]


def test_every_commands_help_names_only_the_three_exit_codes() -> None:
    parser = build_parser("pipssl")
    (commands,) = [a for a in parser._actions if a.dest == "command"]
    for name, sub in commands.choices.items():
        said = re.findall(r"Exit ([^.]*)\.", sub.description or "")
        for sentence in said:
            assert set(re.findall(r"\b(\d)\b", sentence)) <= {"0", "1", "2"}, (name, sentence)
    forget = commands.choices["forget"].description
    assert "1 not applied or an index now fails" in forget  # what _forget returns


def test_exit_2_prints_the_error_object_the_docs_show(
    isolated_env: IsolatedEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["doctor", "--json", "--timeout", "soon"])
    out = capsys.readouterr()
    data = json.loads(out.out)
    documented = between(README, "On exit 2 (bad input, a refusal), `--json`", "\n\n")
    assert quoted_keys(documented) == set(data) | set(data["error"])
    assert code == 2 and data["ok"] is False and data["error"]["reference"] in REFERENCES
    message, hint = data["error"]["message"], data["error"]["hint"]
    assert out.err == f"pipssl: error: {message}\nhint: {hint}\n"  # the same two lines


# --- finding codes and error references ---------------------------------------------------


def test_the_codes_table_is_codes_py() -> None:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (error|warning|info) \| (.+?) \|$", README, re.M)
    assert {code: (sev, title) for code, sev, title in rows} == {
        code: (row.severity, row.title) for code, row in codes.CODES.items()
    }


def test_the_error_references_are_the_catalogue() -> None:
    """Each reference with the meaning errors.py gives it (the README may say more)."""
    items = section(README, "Error references").split("\n- `")[1:]
    listed = dict(" ".join(item.split()).split("`: ", 1) for item in items)
    assert set(listed) == set(REFERENCES)
    drifted = {n: t for n, t in listed.items() if not t.startswith(REFERENCES[n])}
    assert drifted == {}


def test_a_ca_files_error_carries_the_finding_code_the_readme_names(tmp_path: Path) -> None:
    """README: "a CA file's errors carry the finding code of the same name"."""
    from datetime import datetime, timezone

    from pipssl.repairing.cas import named_cas

    flat = " ".join(README.split())
    promise = between(flat, "a CA file's errors carry the finding code", ":")
    named = set(re.findall(r"`([a-z0-9-]+)`", promise))
    assert named and named <= set(codes.CODES)
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\x00\x01binary, not a certificate")
    files = {
        "cafile-missing": tmp_path / "missing.pem",
        "cafile-is-directory": tmp_path,
        "private-key-in-file": key,
        "ca-not-a-certificate": junk,
    }
    assert named <= set(files)
    for reference, path in files.items():
        with pytest.raises(PipsslError) as caught:
            named_cas([str(path)], datetime.now(timezone.utc))
        assert caught.value.reference == reference, (path, caught.value)
        assert f"--ca {path}" in str(caught.value)


# --- JSON keys ----------------------------------------------------------------------------


def doctor_keys() -> Dict[str, Any]:
    from pipssl.diagnosis.report import PipInfo, PythonInfo, Report

    return Report(blank(PythonInfo), blank(PipInfo)).to_dict()


def test_doctor_json_has_the_keys_the_readme_lists() -> None:
    from pipssl.diagnosis.report import TargetResult

    prose = between(README, "`doctor --json` prints one object:", "`repair --json` adds")
    assert top_level(prose) == list(doctor_keys())
    targets = between(prose, "`targets` (", "`actions`")
    words = set(re.findall(r"[a-z_]+", targets))
    assert {f.name for f in dataclasses.fields(TargetResult)} <= words
    # every kind of host on pip's path a target may be, by its JSON value
    from pipssl.diagnosis import downloadpath

    kinds = {downloadpath.INDEX, downloadpath.FILES, downloadpath.REDIRECT}
    assert {k for k in kinds if f"`{k}`" in targets} == kinds


def test_repair_json_has_the_keys_the_readme_lists() -> None:
    from pipssl.repairing.result import RepairResult

    prose = between(README, "`repair --json` adds", "`forget --json`")
    result = RepairResult(True, False, (), None, (), (), False, "")
    added = set(top_level(prose))
    assert set(result.to_dict()) == added | {"schema", "ok", "findings"}
    assert added.isdisjoint(set(doctor_keys()) - {"actions"})


def test_forget_json_has_the_keys_the_readme_lists(
    pip_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipssl.certs import bundle as cabundle
    from pipssl.certs.consent import Consent

    prose = between(README, "`forget --json` (no SHA256) prints", "On exit 2")
    assert cli.main(["forget", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"schema": 1, "ok": True, "consented": []}
    (root,) = cabundle.load_cafile(pip_world.certs.path("root.pem"))
    one = Consent(root, "named by the user: /x.pem", "2026-01-01T00:00:00Z").to_dict()
    assert quoted_keys(prose) == set(data) | set(one)


def test_wheelhouse_install_json_has_the_keys_the_readme_lists() -> None:
    from pipssl.wheelhouse.installing import InstallResult

    prose = between(README, "`install --json` prints", "`: ")
    done = InstallResult(bundle="b.zip", python="python", installed=[], ensurepip=False, output="")
    assert quoted_keys(prose) == set(done.to_dict())
    assert done.to_dict()["ok"] is True


# --- set-up as documented ------------------------------------------------------------------

#: Third-party modules the tests and benchmarks import, by the distribution that provides
#: them (the distribution names of requirements-dev.txt and pyproject's dependencies).
PROVIDED_BY = {"yaml": "pyyaml"}
#: Imports the tox environments provide themselves, or that a test skips without.
OPTIONAL = {"pip", "uv"}


def _requirement_names(lines: List[str]) -> Set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower())
    return names


def _third_party_imports(paths: List[Path], local: Set[str]) -> Set[str]:
    import ast
    import sys

    stdlib = getattr(sys, "stdlib_module_names", set())
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(stdlib) - local - {"__future__", "pipssl"}


@pytest.mark.skipif(not hasattr(__import__("sys"), "stdlib_module_names"), reason="3.10+")
def test_one_list_holds_what_the_tests_and_benchmarks_import() -> None:
    """README: one command installs the tests' and benchmarks' dependencies, and tox reads
    the same list (the tox environments of real clients, mitmproxy and ansible add their
    own tools on top)."""
    listed = (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "python -m pip install -e . -r requirements-dev.txt" in README
    tox = (REPO / "tox.ini").read_text(encoding="utf-8")
    testenv = between(tox, "[testenv]\n", "\n[")
    assert re.search(r"^deps =\n    -r\{toxinidir\}/requirements-dev\.txt$", testenv, re.M)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    runtime = re.findall(r'"([a-z]+)"', between(pyproject, "dependencies = [", "]"))
    names = _requirement_names(listed) | set(runtime)
    roots = [REPO / "tests", REPO / "tests" / "bed", REPO / "benchmarks"]
    paths = [p for root in roots for p in root.glob("*.py")]
    local = {p.stem for root in [*roots, REPO / "tests" / "data"] for p in root.glob("*.py")}
    local.add("bed")
    needed = _third_party_imports(paths, local) - OPTIONAL
    assert {PROVIDED_BY.get(m, m) for m in needed} <= names


def test_the_readme_names_the_interpreters_ci_makes_visible() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    (versions,) = re.findall(r'export PYENV_VERSION="([0-9.:]+)"', ci)
    tests = section(README, "Tests")
    assert f"export PYENV_VERSION={versions}" in tests
    tox = (REPO / "tox.ini").read_text(encoding="utf-8")
    envlist = between(tox, "envlist = ", "\n")
    minors = {".".join(v.split(".")[:2]) for v in versions.split(":")}
    assert {f"py{m.replace('.', '')}" for m in minors} == set(re.findall(r"py3\d+", envlist))

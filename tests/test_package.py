"""Package-level rules: stdlib-only imports, import without ssl, codes documented."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import List

from targets import pipssl_path

import pipssl
from pipssl import codes

PACKAGE = Path(pipssl.__file__).resolve().parent
REPO = Path(__file__).resolve().parent.parent  # the checkout, for README and tests


def is_stdlib(name: str) -> bool:
    """Standard library module?  (sys.stdlib_module_names exists only from 3.10.)"""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return name in names
    if name in sys.builtin_module_names:
        return True
    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    origin = spec.origin or ""
    if origin in ("built-in", "frozen"):
        return True
    paths = sysconfig.get_paths()
    roots = (paths["stdlib"], paths["platstdlib"])
    return origin.startswith(roots) and "site-packages" not in origin


def top_level_imports(path: Path) -> list:
    """Module names imported at module level (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
        elif isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are not run
            continue
    return names


def test_package_imports_only_the_standard_library_at_top_level() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in top_level_imports(path):
            if name != "pipssl" and not is_stdlib(name):
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
            if name == "ssl":
                offenders.append(f"{path.relative_to(PACKAGE)}: ssl at top level")
    assert offenders == []


def test_every_module_imports_with_ssl_blocked_and_no_third_party() -> None:
    # A meta-path hook makes ssl, certifi, packaging and the TOML readers unimportable, as
    # on a broken Python with nothing installed.
    code = r"""
import importlib, pkgutil, sys
BLOCKED = ('ssl', '_ssl', 'certifi', 'packaging', 'pip', 'tomli', 'tomllib')
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import pipssl
for mod in pkgutil.walk_packages(pipssl.__path__, 'pipssl.'):
    importlib.import_module(mod.name)
print('ok')
"""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": pipssl_path()}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "ok", proc.stderr


def test_import_does_no_work() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import pipssl; "
        "print([m for m in ('ssl', 'subprocess', 'socket', 'pipssl.diagnosis.api', "
        "'urllib.request') if m in sys.modules])"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, pipssl_path()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "[]", proc.stderr


def test_every_code_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, re.MULTILINE))
    assert documented == set(codes.CODES)


def test_every_code_is_asserted_by_a_test() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").glob("test_*.py"))
    missing = [c for c in codes.CODES if f'"{c}"' not in tests]
    assert missing == []


def test_every_error_reference_is_catalogued_documented_and_used() -> None:
    from pipssl.errors import REFERENCES

    used = set()
    for path in (REPO / "pipssl").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            values: List[ast.expr] = []
            if isinstance(node, ast.Call):
                # reference="..." on any error, and the wheelhouse's error(message, "...")
                values += [k.value for k in node.keywords if k.arg == "reference"]
                if isinstance(node.func, ast.Name) and node.func.id == "error":
                    values += node.args[1:2]
            elif isinstance(node, ast.Assign):
                # a class's default: reference = "..."
                if [getattr(t, "id", "") for t in node.targets] == ["reference"]:
                    values.append(node.value)
            used |= {v.value for v in values if isinstance(v, ast.Constant)}
    assert used - set(REFERENCES) - set(codes.CODES) == set()
    assert set(REFERENCES) - used == set(), "catalogued but never raised"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Error references", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^- `([a-z0-9-]+)`: ", section, re.MULTILINE)) == set(REFERENCES)


def test_every_refusal_has_a_hint() -> None:
    """Each reference an error can carry (the catalogue's, and the CA files' finding
    codes) has a next step, and an error raised without a hint gets it."""
    from pipssl.errors import NEXT_STEPS, REFERENCES, PipsslError, UsageError

    ca_file_codes = {"cafile-missing", "cafile-unreadable", "cafile-empty", "ca-not-a-certificate"}
    assert set(NEXT_STEPS) == set(REFERENCES) | ca_file_codes
    assert UsageError("bad").hint and "--help" in str(UsageError("bad").hint)
    assert PipsslError("x", reference="locked", hint="wait").hint == "wait"
    for reference in NEXT_STEPS:
        assert PipsslError("x", reference=reference).hint, reference


def test_error_references_are_known_by_the_catalogue() -> None:
    from pipssl.errors import PipsslError, known

    assert not known("no-such-reference")
    assert known("cafile-missing") and known("write-failed")  # a finding code; a reference
    assert PipsslError("x", reference="cafile-missing").reference == "cafile-missing"

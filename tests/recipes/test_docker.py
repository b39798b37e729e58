"""The Dockerfile of docs/provisioning.md, built for real where a Docker engine answers,
else run instruction by instruction in a shell over a temporary directory standing for the
image's ``/``.  Either way: pip fails before the ``repair`` line, the first repair reports
``"changed": true``, the recipe's ``pip install`` works, and a second run changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from recipebed import (
    BOOTSTRAP,
    PROBE,
    VERIFY_FAILED,
    doc_block,
    first_json,
    python_shims,
    require_recipes_env,
    run_shell,
    show,
)

require_recipes_env()

Instruction = Tuple[str, str]
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def instructions(text: str) -> List[Instruction]:
    """(KEYWORD, arguments) per instruction: comments dropped, continuation lines joined."""
    out: List[Instruction] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # Docker drops comment lines, also inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        pending = ""
        out.append((keyword.upper(), rest.strip()))
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return out


def base_image(steps: List[Instruction]) -> str:
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(froms) == 1 and steps[0][0] == "FROM", "one stage, starting with FROM"
    return froms[0]


def python_version(image: str) -> str:
    match = re.fullmatch(r"python:(3\.\d+)(?:[.-][\w.-]*)?", image)
    assert match, f"FROM {image}: the test knows the official python images only"
    return match.group(1)


def repair_step(steps: List[Instruction]) -> str:
    (line,) = [rest for keyword, rest in steps if keyword == "RUN" and "get-pipssl.py" in rest]
    return line


def make_context(directory: Path, ca: Path) -> Path:
    """The build context the page's COPY line expects, made of the test's files."""
    directory.mkdir()
    shutil.copyfile(ca, directory / "corp-ca.pem")
    shutil.copyfile(BOOTSTRAP, directory / "get-pipssl.py")
    (directory / "requirements.txt").write_text(f"{PROBE}\n")
    return directory


class ShellImage:
    """Applies Dockerfile instructions in a shell; ``root`` stands for the image's ``/``."""

    def __init__(self, root: Path, context: Path, env: Dict[str, str]) -> None:
        self.root = root
        self.context = context
        self.env = dict(env)
        self.workdir = root
        root.mkdir(exist_ok=True)

    def expand(self, text: str) -> str:
        return _VARIABLE.sub(lambda m: self.env.get(m.group(1) or m.group(2), ""), text)

    def path(self, text: str) -> Path:
        """An image path: absolute ones under ``root``, relative ones from WORKDIR."""
        return self.root / text.lstrip("/") if text.startswith("/") else self.workdir / text

    def which(self, name: str) -> Path:
        found = shutil.which(name, path=self.env["PATH"])
        assert found, f"no {name} on the image's PATH"
        return Path(found)

    def apply(self, keyword: str, rest: str) -> Optional[subprocess.CompletedProcess[str]]:
        """Apply one instruction; RUN returns its process (and must succeed)."""
        if keyword == "FROM":
            return None
        if keyword == "ENV":
            for item in shlex.split(rest):
                name, sep, value = item.partition("=")
                assert sep, f"ENV {rest}: write ENV NAME=VALUE"
                expanded = self.expand(value)
                self.env[name] = str(self.path(expanded)) if value.startswith("/") else expanded
            return None
        if keyword == "WORKDIR":
            self.workdir = self.path(self.expand(rest))
            self.workdir.mkdir(parents=True, exist_ok=True)
            return None
        if keyword == "COPY":
            *sources, dest = [self.expand(word) for word in shlex.split(rest)]
            assert sources and not any(s.startswith("-") for s in sources), f"COPY {rest}"
            target = self.path(dest)
            if dest.endswith("/") or len(sources) > 1:
                target.mkdir(parents=True, exist_ok=True)
            for source in sources:
                shutil.copy2(self.context / source, target)
            return None
        if keyword == "RUN":
            argv = json.loads(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]
            proc = run_shell(argv, self.workdir, self.env, timeout=600)
            assert proc.returncode == 0, f"RUN {rest}\n{show(proc)}"
            return proc
        raise AssertionError(f"the test cannot run Dockerfile instruction {keyword}")


def run_in_a_shell(
    steps: List[Instruction], world: Any, version: str, tmp_path: Path, context: Path
) -> None:
    shims = python_shims(tmp_path / "shims", version)
    env = dict(world.env, PATH=f"{shims}{os.pathsep}{world.env['PATH']}")
    root = tmp_path / "image"
    repair = repair_step(steps)
    for build in (1, 2):  # the second time over the same image: nothing may change
        image = ShellImage(root, context, env)
        for keyword, rest in steps:
            if keyword == "RUN" and rest == repair and build == 1:
                world.assert_pip_fails(image.which("python"), tmp_path / "dl-before")
            proc = image.apply(keyword, rest)
            if proc is not None and rest == repair:
                data = first_json(proc.stdout)
                assert data["ok"] is True, show(proc)
                assert data["changed"] is (build == 1), show(proc)
                if build == 1:
                    venv = image.env["VIRTUAL_ENV"]
                    kinds = [a["kind"] for a in data["actions"]]
                    assert kinds == ["write-bundle", "set-cert", "record-consent"]
                    # pip's files are the venv's; the consent, like the journal, is the user's
                    assert all(
                        a["path"].startswith(venv + os.sep) != (a["kind"] == "record-consent")
                        for a in data["actions"]
                    )
                else:
                    assert data["actions"] == []
        python = image.which("python")
        world.assert_pip_installed(python)
        done = world.pip_download(python, tmp_path / f"dl-after-{build}")
        assert done.returncode == 0, show(done)
    # nothing outside the image: no user or global pip config was written
    assert not list(Path(env["HOME"]).rglob("pip.conf"))


def docker(*args: str, timeout: float = 600, env: Optional[Dict[str, str]] = None) -> Any:
    return subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def engine_with(image: str) -> bool:
    """A Docker engine answers and already holds ``image``: tests never pull from beyond
    loopback."""
    try:
        return (
            docker("info", timeout=30).returncode == 0
            and docker("image", "inspect", image, timeout=30).returncode == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def run_with_engine(text: str, steps: List[Instruction], world: Any, context: Path) -> None:
    """``docker build`` of the page's Dockerfile with one line added: ``ARG PIP_INDEX_URL``
    after FROM, so the build reaches the test index (host network, loopback)."""
    image = base_image(steps)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FROM "))
    lines.insert(at + 1, "ARG PIP_INDEX_URL")
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    index = ["--network", "host", "-e", f"PIP_INDEX_URL={world.index_url}"]
    before = docker(
        "run", "--rm", "--pull", "never", *index, image,
        "python", "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0",
        "-d", "/tmp/dl", PROBE,
    )  # fmt: skip
    assert before.returncode != 0 and VERIFY_FAILED in before.stdout + before.stderr, show(before)
    tag = f"pipssl-recipe-test:{uuid.uuid4().hex[:12]}"
    env = dict(world.env, DOCKER_BUILDKIT="1")
    try:
        built = docker(
            "build", "--no-cache", "--progress", "plain", "--network", "host",
            "--build-arg", f"PIP_INDEX_URL={world.index_url}", "-t", tag, str(context),
            env=env,
        )  # fmt: skip
        assert built.returncode == 0, show(built)
        log = built.stdout + built.stderr
        assert re.search(r'^#\d+ [\d.]+ {2}"changed": true,?$', log, re.MULTILINE), log
        again = docker("run", "--rm", *index, tag, "/bin/sh", "-c", repair_step(steps))
        assert again.returncode == 0, show(again)
        data = first_json(again.stdout)
        assert data["ok"] is True and data["changed"] is False, show(again)
        probe = docker("run", "--rm", tag, "python", "-c", f"import {PROBE}")
        assert probe.returncode == 0, show(probe)
    finally:
        docker("rmi", "-f", tag, timeout=120)


def test_dockerfile_recipe(recipe_world: Callable[[str], Any], tmp_path: Path) -> None:
    lang, text = doc_block("dockerfile")
    assert lang == "dockerfile"
    steps = instructions(text)
    image = base_image(steps)
    version = python_version(image)
    world = recipe_world(version)
    context = make_context(tmp_path / "context", world.ca)
    if engine_with(image):
        run_with_engine(text, steps, world, context)
    else:
        run_in_a_shell(steps, world, version, tmp_path, context)


def test_dockerfile_parsing() -> None:
    text = (
        'FROM python:3.12-slim\n# a comment\nENV A=/x B="$A/y"\nRUN echo one \\\n'
        '    && echo two\nRUN ["echo", "three"]\n'
    )
    assert instructions(text) == [
        ("FROM", "python:3.12-slim"),
        ("ENV", 'A=/x B="$A/y"'),
        ("RUN", "echo one && echo two"),
        ("RUN", '["echo", "three"]'),
    ]
    assert python_version("python:3.12-slim") == "3.12"
    assert python_version("python:3.8") == "3.8"

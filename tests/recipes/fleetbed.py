"""A fleet of hosts for the Ansible collection: each its own machine as far as pip can tell.

A host is an ``ansible_connection: local`` host whose ``ansible_python_interpreter`` is a
wrapper script: it starts the host's Python with an environment of the host's own (``env
-i``: HOME, XDG directories, PIP_CONFIG_FILE) inside a private mount namespace that puts
the host's own OS store over /etc/ssl/certs and empty files over the machine's global pip
configs (``bed.osstore``).  Everything the module runs (get-pipssl.py, the real pip) starts
from that interpreter, so it inherits all of it.  The test runs the real pip through the
same wrapper.  A wrapper was chosen over a connection plugin: it is a few lines, needs no
code of the test's in Ansible, and is what any host with a Python is to Ansible.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bed.osstore import MountedOsStore
from recipebed import PROBE

#: Where each kind of host keeps the pip config that names its index.
CONFIG_KINDS = ("site", "env", "user")


@dataclass
class Host:
    """One machine of the fleet.

    Attributes:
        name: its inventory name.
        root: the directory all its files are under.
        python: the interpreter the wrapper starts (a venv's, or a Python without ssl).
        wrapper: its ``ansible_python_interpreter``; also runs its pip for the test.
        home: its HOME.
        config: the pip config file that names the index.
        watched: the files and directories a repair may write, for ``snapshot``.
    """

    name: str
    root: Path
    python: Path
    wrapper: Path
    home: Path
    config: Path
    watched: List[Path] = field(default_factory=list)

    def pip_download(self, dest: Path) -> subprocess.CompletedProcess[str]:
        """The host's real pip downloads the probe package from the index its config names."""
        return subprocess.run(
            [
                str(self.wrapper),
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--retries",
                "0",
                "--timeout",
                "10",
                "-d",
                str(dest),
                PROBE,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def snapshot(self) -> Dict[str, Optional[str]]:
        """SHA-256 of every watched file (None: absent), by path."""
        out: Dict[str, Optional[str]] = {}
        for path in self.watched:
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for item in files:
                out[str(item)] = (
                    hashlib.sha256(item.read_bytes()).hexdigest() if item.is_file() else None
                )
        return out


def make_host(
    root: Path, name: str, python: Path, venv_dir: Optional[Path], kind: str, index_url: str
) -> Host:
    """A host whose pip config of ``kind`` (site, env, user) names ``index_url``.

    ``venv_dir`` is the venv ``python`` belongs to (site config), None for a bare Python.
    """
    root.mkdir(parents=True)
    home = root / "home"
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_CONFIG_DIRS": root / "xdg",
    }
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    env_conf = root / "pip-env.conf"
    places = {
        "site": (venv_dir / "pip.conf") if venv_dir else env_conf,
        "env": env_conf,
        "user": home / ".config" / "pip" / "pip.conf",
    }
    config = places[kind]
    config.parent.mkdir(parents=True, exist_ok=True)
    # a comment and a setting of the user's own: a repair must keep every other byte
    config.write_text(f"# {name}'s pip\n[global]\nindex-url = {index_url}\ntimeout = 20\n")
    store = MountedOsStore(root / "os")
    environ = {name: str(path) for name, path in dirs.items()}
    environ.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        LC_ALL="C.UTF-8",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    if kind == "env":
        environ["PIP_CONFIG_FILE"] = str(env_conf)
    # a name pip 24.2's truststore cannot take as an IP address resolves to loopback inside
    argv = ["env", "-i", *(f"{k}={v}" for k, v in sorted(environ.items()))]
    argv += [*store.prefix(hosts=("localhost",)), str(python)]
    wrapper = root / "python"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n')
    wrapper.chmod(0o755)
    watched = [config, env_conf, home / ".config", home / ".local" / "share"]
    if venv_dir:
        watched += [venv_dir / "pip.conf", venv_dir / "share"]
    return Host(name, root, python, wrapper, home, config, watched)


def inventory(hosts: List[Host]) -> str:
    """An inventory (YAML) of ``hosts``, each a local connection through its wrapper."""
    lines = ["all:", "  hosts:"]
    for host in hosts:
        lines += [
            f"    {host.name}:",
            "      ansible_connection: local",
            f"      ansible_python_interpreter: {host.wrapper}",
        ]
    return "\n".join(lines) + "\n"

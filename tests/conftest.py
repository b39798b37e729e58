"""Fixtures of the shared loopback test bed (the parts themselves live in ``tests/bed``).

Every test may take ``isolated_env`` to get an environment in which the machine's own pip
configuration, CA variables and proxies cannot change its result; a session guard fails
the run if any real pip config file changed.  ``pip_world`` is the one world builder on top
of it (``bed.world.World``: the isolated env, the certificates, the OS store, the scope,
pip's files, pip's trust in the test root, indexes), ``user_world`` the same at the user
scope with certifi's roots as the OS store; ``mounted_os_store`` gives commands the real OS
store path instead, /etc/ssl/certs in a private mount namespace
(``bed.osstore.MountedOsStore``).  Fixtures are typed: a test names the types it gets
(``IsolatedEnv``, ``CertWorld``, ``MakeIndex``, ``MakeProxy``, ``World``).

Markers (declared in pyproject.toml):

* ``once``: what the test checks does not vary with the Python that runs pytest: the
  parsers and editors (der, bundle, confedit, fuzz, pipconfig's model), the journal, the
  bed itself, get-pipssl.py (it runs every Python itself), and the error and fault paths
  of bad_input, faults and wheelhouse (against fixed 3.8 / 3.13 venvs).  tox runs the whole
  suite on py312 and ``-m "not once and not slow"`` on the other Pythons (tox.ini says
  why).  doctor, repair, cli,
  target, trust, tls, platform, package, scopes, plan, clients and pipconfig_pips stay
  unmarked: pipssl itself must work on every Python from 3.8 to 3.13.
* ``slow``: more than about 3 s each (``pytest --durations=50``), mostly journeys over the
  real pips of the fixed venvs; tox runs them on py312 only.  ``pytest -m "not slow"`` is
  the fast inner loop, ``pytest -m "not slow and not once"`` an even faster one.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, Tuple, Union

import pytest

# The bed is imported as ``bed`` whatever pytest's import mode.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from bed import fixlines  # noqa: E402
from bed.certs import CertWorld, ServerCert  # noqa: E402
from bed.index import (  # noqa: E402
    IndexServer,
    MakeIndex,
    MakeProxy,
    Proxy,
    build_wheel,
    connect_proxy,
    is_loopback_host,
    serve_index,
)
from bed.isolation import (  # noqa: E402
    IsolatedEnv,
    changed_files,
    real_pip_config_files,
    scrubbed_environ,
    snapshot,
)
from bed.nossl import NosslUnavailable, make_nossl_python  # noqa: E402
from bed.osstore import MountedOsStore, why_unavailable  # noqa: E402
from bed.pip import find_pythons  # noqa: E402
from bed.world import World  # noqa: E402
from targets import LEGACY_BASE, TRUSTSTORE_BASE, base_python, make_venv  # noqa: E402


@pytest.fixture(autouse=True)
def _fixes_can_be_pasted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every finding pipssl's code makes in a test has its fix checked as a user would
    paste it (bed.fixlines): the test that made it fails when it cannot be."""
    from pipssl import commands
    from pipssl.findings import Finding

    # an in-process main() said how "pipssl" was run; the next test starts as a library
    monkeypatch.setattr(commands.Context, "invocation", None)
    made = Finding.__post_init__

    def post_init(self: Finding) -> None:
        made(self)
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__") in _MACHINERY:
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None and str(frame.f_globals.get("__name__", "")).startswith("pipssl"):
            fixlines.record(self.code, self.fix)

    monkeypatch.setattr(Finding, "__post_init__", post_init)


#: Where a Finding is built on behalf of its maker (the dataclass' own code).
_MACHINERY = ("pipssl.findings", "dataclasses", None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A whole run (PIPSSL_FIXLINES_COVERAGE=1, tox's py312) must have checked the fixes of
    every finding code: a code no test made is a fix no test pasted."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        # a pytest-xdist worker saw only its share: the controller adds the shares up
        workeroutput["fixlines_seen"] = dict(fixlines.SEEN)
        return
    if os.environ.get("PIPSSL_FIXLINES_COVERAGE") != "1":
        return
    from pipssl import codes

    left = sorted(fixlines.missing(set(codes.CODES)))
    writer = session.config.get_terminal_writer()
    if left:
        writer.line("fix lines: no test checked the fixes of " + ", ".join(left), red=True)
        if exitstatus == 0:
            session.exitstatus = 1
    else:
        writer.line(f"fix lines: the fixes of all {len(codes.CODES)} finding codes were checked")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist's controller: count the codes a worker saw, for the check above."""
    for code, times in getattr(node, "workeroutput", {}).get("fixlines_seen", {}).items():
        fixlines.SEEN[code] = fixlines.SEEN.get(code, 0) + times


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any in-process name lookup or connection beyond loopback fail the test."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if host is not None and not is_loopback_host(name):
            raise AssertionError(f"test tried to resolve a non-loopback name: {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback_host(
            str(address[0])
        ):
            raise AssertionError(f"test tried to connect beyond loopback: {address!r}")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture(scope="session", autouse=True)
def _real_pip_config_guard() -> Iterator[None]:
    """Fail the run loudly if any real pip config file of this machine changed."""
    prefixes = [python.parent.parent for python in find_pythons().values()]
    before = snapshot(real_pip_config_files(prefixes))
    yield
    changed = changed_files(before)
    if changed:
        pytest.fail(
            "A test changed this machine's real pip configuration:\n  " + "\n  ".join(changed),
            pytrace=False,
        )


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IsolatedEnv]:
    """Scrub ``os.environ`` for one test (see ``bed.isolation.scrubbed_environ``)."""
    saved = dict(os.environ)
    root = tmp_path / "isolated"
    root.mkdir()
    env = scrubbed_environ(root)
    for key in list(os.environ):
        if key not in env:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield IsolatedEnv(root)
    # The test may have written to os.environ directly: put back exactly what was there.
    for key in list(os.environ):
        if key not in saved:
            del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


@pytest.fixture(scope="session")
def cert_world(tmp_path_factory: pytest.TempPathFactory) -> CertWorld:
    """All test certificates of the session (see ``bed.certs.CertWorld``)."""
    return CertWorld(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def pip_world(
    isolated_env: IsolatedEnv, tmp_path: Path, cert_world: CertWorld, make_index: MakeIndex
) -> World:
    """The world pip sees, built step by step (see ``bed.world.World``): ``os_store(*certs)``
    (certifi + those CAs at ``tmp_path/os-store.pem``, an empty ``os-certs`` dir),
    ``user_scope()`` (no PIP_CONFIG_FILE), ``pip_conf(kind, text)``, ``trust()`` (pip's
    cert -> the test root), ``index(kind, python)``."""
    return World(isolated_env, tmp_path, cert_world, make_index)


@pytest.fixture
def user_world(pip_world: World) -> World:
    """A user-scope world: user config files read (no PIP_CONFIG_FILE), the OS store
    certifi's roots until the test adds to it (``user_world.os_store(*certs)``)."""
    pip_world.user_scope().os_store()
    return pip_world


@pytest.fixture
def mounted_os_store(tmp_path: Path) -> MountedOsStore:
    """The real OS store path for commands run through ``.prefix()``: certifi's roots at
    /etc/ssl/certs/ca-certificates.crt (``.set(*pems)`` to change), global pip configs
    hidden (see ``bed.osstore``).  Skips where a private mount namespace cannot be made."""
    reason = why_unavailable()
    if reason is not None:
        pytest.skip(f"no private mount namespace for the OS store: {reason}")
    return MountedOsStore(tmp_path / "mounted-os-store")


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding one built wheel, pipssl_probe_pkg-1.0-py3-none-any.whl."""
    directory = tmp_path_factory.mktemp("wheels")
    build_wheel(directory)
    return directory


@pytest.fixture
def make_index(cert_world: CertWorld, wheel_dir: Path) -> Iterator[MakeIndex]:
    """Factory ``make_index(kind="good", **serve_index_kwargs) -> IndexServer``.

    ``kind`` names a ``CertWorld`` server certificate or is a ``ServerCert`` (e.g. from
    ``bed.oddcerts``), None for mode="plain"; keyword
    arguments go to ``bed.index.serve_index`` (``wheel_dir`` may be overridden). Every index
    is closed at teardown.
    """
    with contextlib.ExitStack() as stack:

        def factory(kind: Union[str, ServerCert, None] = "good", **kwargs: Any) -> IndexServer:
            if isinstance(kind, ServerCert):
                cert: Optional[ServerCert] = kind
            else:
                cert = cert_world.server_cert(kind) if kind is not None else None
            directory = kwargs.pop("wheel_dir", wheel_dir)
            return stack.enter_context(serve_index(directory, cert, **kwargs))

        yield factory


@pytest.fixture
def make_proxy() -> Iterator[MakeProxy]:
    """Factory ``make_proxy(auth=None, lifetime=120.0) -> Proxy``; all closed at teardown."""
    with contextlib.ExitStack() as stack:

        def factory(auth: Optional[Tuple[str, str]] = None, lifetime: float = 120.0) -> Proxy:
            return stack.enter_context(connect_proxy(auth=auth, lifetime=lifetime))

        yield factory


@pytest.fixture
def proxy(make_proxy: MakeProxy) -> MakeProxy:
    """Alias of ``make_proxy``."""
    return make_proxy


@pytest.fixture(scope="session")
def nossl_python(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Factory ``nossl_python(variant) -> Path`` ("missing" or "broken"), cached per session.

    Skips the test only when the base interpreter install cannot be copied.
    """
    cache: Dict[str, Path] = {}

    def factory(variant: str) -> Path:
        if variant not in cache:
            dest = tmp_path_factory.mktemp(f"nossl-{variant}") / "prefix"
            try:
                cache[variant] = make_nossl_python(dest, variant)
            except NosslUnavailable as exc:
                pytest.skip(f"cannot build a no-ssl Python here: {exc}")
        return cache[variant]

    return factory


@pytest.fixture(scope="session")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """Fresh venvs whose pips we diagnose; no test may change them.

    "legacy": pip 23.0.1 on Python 3.8 (one bundle, no OS store); "truststore": pip 24.2 on
    Python 3.13 (the OS store through truststore).  Both come from ensurepip, offline.
    """
    root = tmp_path_factory.mktemp("venvs")
    return {
        "legacy": make_venv(base_python(LEGACY_BASE), root / "legacy"),
        "truststore": make_venv(base_python(TRUSTSTORE_BASE), root / "truststore"),
    }


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without pip."""
    root = tmp_path_factory.mktemp("bare")
    return make_venv(base_python(LEGACY_BASE), root / "bare", with_pip=False)

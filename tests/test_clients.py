"""uv, poetry, conda and requests beside pip, on file level: the TOML and .condarc editors,
doctor's reading of each client's settings (with real probes of a loopback index), and
``repair --for conda`` (conda cannot be installed from the package registry: its config
is what is tested, round trip, minimal edit and undo).  The real uv, poetry and requests
are driven in tests/clients (tox env ``clients``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from bed.pip import url_host_for
from targets import run_pipssl

from pipssl.errors import ConfigError
from pipssl.formats.condarc import read_condarc, set_condarc_key
from pipssl.formats.toml import read_toml, set_toml_string

# --- the TOML reader and editor ------------------------------------------------------------

TOML_SAMPLES = [
    "",
    "a = 1\n",
    '# poetry\n[virtualenvs]\nin-project = true\npath = "{cache-dir}/venvs"  # c\n\n'
    "[certificates.corp]\nclient-cert = 'C:\\x\\y.pem'\n"
    '[repositories.corp]\nurl = "https://h/simple/"\narr = [1, 2,\n  # c\n  "x", ]\n'
    'inl = { a = 1, b.c = "d" }\nml = """\na "q"" x"""\nlit = \'\'\'q\'\'\'\'\n'
    "dt = 1979-05-27 07:32:00Z\n",
    'x."y.z".w = true\r\n[t]\r\nk="v\\u00e9"\r\n',
    '[[tool.poetry.source]]\nname = "a"\nurl = "https://a/"\n[[tool.poetry.source]]\nname = "b"\n',
]


@pytest.mark.parametrize("text", TOML_SAMPLES)
def test_toml_set_adds_one_table_and_keeps_every_byte(text: str) -> None:
    new = set_toml_string(text, ("certificates", "my.src"), "cert", 'C:\\a "b"', "f")
    assert new.startswith(text)
    data = read_toml(new)
    assert data["certificates"]["my.src"]["cert"] == 'C:\\a "b"'
    assert "\r\n[certificates" in new or "\r" not in text


def test_toml_set_replaces_in_place() -> None:
    text = '# mine\n[certificates.corp]  # keep\ncert = "/old.pem"   # why\nclient-cert = "c"\n'
    new = set_toml_string(text, ("certificates", "corp"), "cert", "/new.pem", "f")
    assert new == text.replace("/old.pem", "/new.pem")
    text = "[certificates.corp]\nclient-cert = 'c'\n\n[other]\nx = 1\n"
    new = set_toml_string(text, ("certificates", "corp"), "cert", "/n.pem", "f")
    assert new == text.replace("[certificates.corp]\n", '[certificates.corp]\ncert = "/n.pem"\n')


@pytest.mark.parametrize(
    "text",
    [
        'certificates = { corp = { cert = "x" } }\n',
        "[certificates]\ncorp.verify = false\n",
        "[certificates]\ncorp = 1\n",
        "a = \n",
        "[a\n",
        'a = "x\n',
        "a = 1\na = 2\n",
    ],
)
def test_toml_set_refuses_what_it_cannot_edit_safely(text: str) -> None:
    with pytest.raises(ConfigError, match="f"):
        set_toml_string(text, ("certificates", "corp"), "cert", "/n.pem", "f")


# --- the .condarc reader and editor ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "ssl_verify: '/b.pem'\n"),
        ("{}\n", "ssl_verify: '/b.pem'\n"),
        (
            "channels:\n  - defaults\nssl_verify: true  # corp\n",
            "channels:\n  - defaults\nssl_verify: '/b.pem'  # corp\n",
        ),
        ("ssl_verify: '/a''b'\r\nx: 1", "ssl_verify: '/b.pem'\r\nx: 1"),
        ("---\nssl_verify:\n", "---\nssl_verify: '/b.pem'\n"),
        ("x: 1", "x: 1\nssl_verify: '/b.pem'\n"),
        ('ssl_verify: "/o.pem" #!final\n', "ssl_verify: '/b.pem' #!final\n"),
    ],
)
def test_condarc_set_is_a_minimal_edit(text: str, expected: str) -> None:
    assert set_condarc_key(text, "ssl_verify", "/b.pem", "f") == expected
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(expected)["ssl_verify"] == "/b.pem"


def test_condarc_reads_booleans_quotes_and_final() -> None:
    read = read_condarc
    assert read("ssl_verify: False\n", "f", ("ssl_verify",))["ssl_verify"].value is False
    assert read("ssl_verify: no\n", "f", ("ssl_verify",))["ssl_verify"].value is False
    assert read("ssl_verify: 'it''s'\n", "f", ("ssl_verify",))["ssl_verify"].value == "it's"
    assert read("ssl_verify: x  #!final\n", "f", ("ssl_verify",))["ssl_verify"].final
    assert read("a:\n  ssl_verify: false\n", "f", ("ssl_verify",)) == {}


@pytest.mark.parametrize(
    "text",
    [
        "ssl_verify: |\n  /x\n",
        "ssl_verify:\n  /x\n",
        "- a\n",
        "ssl_verify: 1\nssl_verify: 2\n",
        "ssl_verify: [a]\n",
        "---\na: 1\n---\nb: 2\n",
        "a: [b,\nc]\n",
        "ssl_verify: &a /x\n",
    ],
)
def test_condarc_refuses_what_it_cannot_read_safely(text: str) -> None:
    with pytest.raises(ConfigError):
        set_condarc_key(text, "ssl_verify", "/b.pem", "f")


# --- doctor and repair against a loopback index -------------------------------------------


def pipssl(
    *args: str, cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pipssl ARGS`` in ``cwd`` (the project uv and poetry read)."""
    return run_pipssl(*args, env=env, cwd=cwd)


def doctor(python: Path, url: str, cwd: Optional[Path] = None) -> Dict[str, Any]:
    proc = pipssl("doctor", "--json", "--python", str(python), "--index-url", url, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    data: Dict[str, Any] = json.loads(proc.stdout)
    return data


def client(data: Dict[str, Any], label: str) -> Dict[str, Any]:
    (found,) = [c for c in data["clients"] if c["label"] == label]
    return found


def client_codes(data: Dict[str, Any], label: str) -> List[str]:
    return [f["code"] for f in data["findings"] if f["target"] == label]


@pytest.fixture
def home(isolated_env: Any) -> Path:
    """The test's home; no client is on PATH (the test bed's PATH has none)."""
    for tool in ("uv", "poetry", "conda"):
        assert not any(
            (Path(d) / tool).exists() for d in os.environ.get("PATH", "").split(os.pathsep) if d
        ), f"{tool} on PATH would change these tests"
    path: Path = isolated_env.home
    return path


@pytest.mark.slow
def test_conda_reads_ssl_verify_along_its_search_path(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    rc = home / ".condarc"
    rc.write_text("channels:\n  - defaults\n")
    data = doctor(python, index.url)
    assert client(data, "conda")["verify"] is True
    assert client(data, "conda")["targets"][0]["ok"] is False
    assert client_codes(data, "conda") == ["client-cannot-verify"]
    assert "--scope user --for conda" in str(data["findings"])  # the user's bundle
    # the negative twin: a bundle that holds the intercepting CA verifies
    ok_bundle = tmp_path / "ok.pem"
    ok_bundle.write_bytes(cert_world.path("intercept.pem").read_bytes())
    rc.write_text(f"channels:\n  - defaults\nssl_verify: {ok_bundle}\n")
    data = doctor(python, index.url)
    assert client(data, "conda")["targets"][0]["ok"] is True
    assert client_codes(data, "conda") == []
    # an environment's .condarc comes later in conda's search path and wins
    prefix = tmp_path / "env"
    prefix.mkdir()
    (prefix / ".condarc").write_text("ssl_verify: false\n")
    os.environ["CONDA_PREFIX"] = str(prefix)
    data = doctor(python, index.url)
    assert client(data, "conda")["verify"] is False
    assert client_codes(data, "conda") == ["client-verify-disabled"]
    # ... unless the user's file says '#!final'
    rc.write_text(f"ssl_verify: {ok_bundle}  #!final\n")
    data = doctor(python, index.url)
    assert client(data, "conda")["verify"] is True and client_codes(data, "conda") == []
    # CONDA_SSL_VERIFY beats every file
    os.environ["CONDA_SSL_VERIFY"] = "false"
    assert client_codes(doctor(python, index.url), "conda") == ["client-verify-disabled"]


def test_requests_variable_wins_over_condas_ssl_verify(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    (home / ".condarc").write_text("ssl_verify: true\n")
    os.environ["REQUESTS_CA_BUNDLE"] = str(cert_world.path("intercept.pem"))
    data = doctor(python, index.url)
    assert client(data, "conda")["targets"][0]["ok"] is True
    assert "REQUESTS_CA_BUNDLE" in client(data, "conda")["trust"]


@pytest.mark.slow
def test_repair_for_conda_edits_one_line_and_undo_restores_it(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    rc = home / ".condarc"
    before = "# my conda\r\nchannels:\r\n  - conda-forge   # first\r\nssl_verify: true\r\n"
    rc.write_bytes(before.encode())
    args = ["repair", "--yes", "--json", "--for", "conda", "--scope", "user"]
    args += ["--python", str(python), "--index-url", index.url]
    args += ["--ca", str(cert_world.path("intercept.pem"))]
    proc = pipssl(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    bundle = result["actions"][0]["path"]
    assert [a["kind"] for a in result["actions"]] == [
        "write-bundle",
        "set-cert",
        "set-conda-ssl-verify",
        "record-consent",
    ]
    assert rc.read_bytes().decode() == before.replace(
        "ssl_verify: true", f"ssl_verify: '{bundle}'"
    )
    data = doctor(python, index.url)
    assert client(data, "conda")["targets"][0]["ok"] is True
    assert client_codes(data, "conda") == []
    again = json.loads(pipssl(*args).stdout)
    assert again["changed"] is False and again["actions"] == []
    assert pipssl("undo").returncode == 0
    assert rc.read_bytes().decode() == before
    assert client_codes(doctor(python, index.url), "conda") == ["client-cannot-verify"]


def test_repair_never_lifts_ssl_verify_false_without_consent(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    rc = home / ".condarc"
    rc.write_text("ssl_verify: false\n")
    args = ["repair", "--yes", "--json", "--for", "conda", "--scope", "user"]
    args += ["--python", str(python), "--index-url", index.url]
    args += ["--ca", str(cert_world.path("intercept.pem"))]
    proc = pipssl(*args)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert "set-conda-ssl-verify" not in [a["kind"] for a in result["actions"]]
    assert "client-verify-disabled" in [f["code"] for f in result["findings"]]
    assert rc.read_text() == "ssl_verify: false\n"
    proc = pipssl(*args, "--remove-trusted-host")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert rc.read_text().startswith("ssl_verify: '") and "false" not in rc.read_text()
    assert client(doctor(python, index.url), "conda")["targets"][0]["ok"] is True


def write_poetry_project(project: Path, url: str, name: str = "loopback") -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "proj"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        'package-mode = false\n\n[tool.poetry.dependencies]\npython = ">=3.8"\n'
        f'pipssl_probe_pkg = "*"\n\n[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\n'
        'priority = "primary"\n'
    )


def test_poetry_certificates_per_source(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    project = tmp_path / "proj"
    write_poetry_project(project, index.url)
    config = home / ".config" / "pypoetry" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[certificates.loopback]\ncert = false\n")
    data = doctor(python, index.url, cwd=project)
    assert client(data, "poetry source loopback")["verify"] is False
    assert client_codes(data, "poetry source loopback") == ["client-verify-disabled"]
    config.write_text(f'[certificates.loopback]\ncert = "{tmp_path / "gone.pem"}"\n')
    data = doctor(python, index.url, cwd=project)
    assert client_codes(data, "poetry source loopback") == ["client-cannot-verify"]
    assert "does not exist" in str(data["findings"])
    # poetry.toml in the project wins over config.toml; the environment over both
    (project / "poetry.toml").write_text(
        '[certificates.loopback]\ncert = "{}"\n'.format(cert_world.path("intercept.pem"))
    )
    data = doctor(python, index.url, cwd=project)
    assert client(data, "poetry source loopback")["targets"][0]["ok"] is True
    assert client_codes(data, "poetry source loopback") == []
    os.environ["POETRY_CERTIFICATES_LOOPBACK_CERT"] = str(tmp_path / "gone.pem")
    data = doctor(python, index.url, cwd=project)
    assert client_codes(data, "poetry source loopback") == ["client-cannot-verify"]


def test_uv_reads_system_certs_from_its_config_and_ssl_cert_file(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any, tmp_path: Path
) -> None:
    python = venvs["legacy"]
    index = make_index("intercepted", url_host=url_host_for(python))
    user = home / ".config" / "uv" / "uv.toml"
    user.parent.mkdir(parents=True)
    user.write_text("native-tls = true\n")
    data = doctor(python, index.url)
    assert "native-tls = true" in client(data, "uv")["trust"]
    assert client_codes(data, "uv") == ["client-cannot-verify"]
    # a project's [tool.uv] comes first
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.uv]\nsystem-certs = false\n")
    data = doctor(python, index.url, cwd=project)
    assert "Mozilla" in client(data, "uv")["trust"]
    # SSL_CERT_FILE replaces uv's roots: with the CA it verifies, when missing nothing does
    os.environ["SSL_CERT_FILE"] = str(cert_world.path("intercept.pem"))
    assert client_codes(doctor(python, index.url), "uv") == []
    os.environ["SSL_CERT_FILE"] = str(tmp_path / "gone.pem")
    assert client_codes(doctor(python, index.url), "uv") == ["client-cannot-verify"]
    os.environ.pop("SSL_CERT_FILE")
    user.write_text(f'allow-insecure-host = ["{index.host}"]\n')
    data = doctor(python, index.url)
    assert client_codes(data, "uv") == ["client-verify-disabled"]


@pytest.mark.parametrize("kind", ["cn-only", "good"])
def test_uv_is_modelled_without_the_cn_fallback_pip_keeps(
    kind: str,
    venvs: Dict[str, Path],
    home: Path,
    make_index: Any,
    cert_world: Any,
    tmp_path: Path,
) -> None:
    """uv configured (its binary is not here: tests/clients/test_profiles.py asks the real
    one) and a leaf naming localhost only in its CN: the real pip downloads, doctor says uv
    rejects it and why; the twin, a SAN leaf, verifies for both."""
    from bed.pip import pip_download

    python = venvs["legacy"]
    index = make_index(kind, url_host="localhost")
    user = home / ".config" / "uv" / "uv.toml"
    user.parent.mkdir(parents=True)
    user.write_text("native-tls = false\n")
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(cert_world.path("root.pem").read_bytes())
    os.environ["SSL_CERT_FILE"] = os.environ["PIP_CERT"] = str(bundle)
    got = pip_download(python, index.url, dict(os.environ), tmp_path / "dl")
    assert got.returncode == 0, got.stderr
    data = doctor(python, index.url)
    cn_only = kind == "cn-only"
    assert client_codes(data, "uv") == (["client-rejects-certificate"] if cn_only else [])
    assert client(data, "uv")["targets"][0]["ok"] is not cn_only
    assert data["targets"][0]["ok"] is True  # pip: the CN fallback, as the real one
    if cn_only:
        (finding,) = [f for f in data["findings"] if f["target"] == "uv"]
        assert "names localhost only in its subject CN" in finding["summary"]
        assert "subjectAltName DNS:localhost" in finding["fix"]


def test_an_expired_server_is_not_a_client_ca_problem(
    venvs: Dict[str, Path], home: Path, make_index: Any, cert_world: Any, isolated_env: Any
) -> None:
    python = venvs["legacy"]
    index = make_index("expired", url_host=url_host_for(python))
    # pip and conda trust the server's root: what fails is the date, which no bundle fixes
    isolated_env.write_pip_conf("[global]\ncert = {}\n".format(cert_world.path("root.pem")))
    (home / ".condarc").write_text("ssl_verify: {}\n".format(cert_world.path("root.pem")))
    data = doctor(python, index.url)
    assert client(data, "conda")["targets"][0]["ok"] is False
    assert client_codes(data, "conda") == []  # cert-expired is reported for pip, once
    assert "cert-expired" in [f["code"] for f in data["findings"]]


def test_no_client_found_means_no_client_block(
    venvs: Dict[str, Path], home: Path, make_index: Any
) -> None:
    python = venvs["legacy"]
    index = make_index("good", url_host=url_host_for(python))
    data = doctor(python, index.url)
    assert data["clients"] == []
    proc = pipssl("repair", "--for", "pip", "--python", str(python))
    assert proc.returncode == 2 and "--for 'pip'" in proc.stderr


# --- the registry: one list every layer reads ------------------------------------------------


@pytest.mark.once
def test_every_layer_reads_the_one_registry(tmp_path: Path) -> None:
    """``--for``, ``run``, repair's plan and its printed command all take the installers
    from :data:`pipssl.clients.registry.CLIENTS`: none names one of its own."""
    from pipssl.cli.parser import build_parser
    from pipssl.clients.registry import CLIENTS, NAMES, RUNS, repair_for, resolve_run
    from pipssl.errors import UsageError
    from pipssl.interpreter.facts import SslFacts, Target
    from pipssl.repairing.clients import plan_client
    from pipssl.repairing.places import places_for

    assert len(set(NAMES)) == len(CLIENTS) and set(RUNS) <= set(NAMES)
    parser = build_parser()
    for name in NAMES:
        assert parser.parse_args(["repair", "--for", name]).clients_for == [[name]]
    with pytest.raises(UsageError) as unknown:
        parser.parse_args(["repair", "--for", "no-such-installer"])
    assert f"choose from {', '.join(NAMES)}" in str(unknown.value)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    for name in RUNS:
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
        tool = resolve_run([name, "install", "x"], environ=env, cwd=str(tmp_path))
        assert (tool.kind, tool.argv) == (name, [str(exe), "install", "x"])
    with pytest.raises(UsageError) as refused:
        resolve_run(["no-such-installer"], environ=env, cwd=str(tmp_path))
    assert all(name in (refused.value.hint or "") for name in RUNS)
    target = Target("", "0", "", "", "linux", SslFacts(ok=False), None)
    bundle = str(tmp_path / "bundle.pem")
    for client in CLIENTS:
        scope = "--scope user --for" if client.user_wide else "repair --for"
        assert f"{scope} {client.name}" in repair_for(client.name)
        # the files its repair writes are the ones repair, undo and recovery let it write
        for path in client.writes(env, "linux"):
            assert places_for(env, "linux").refusal(path) is None, (client.name, path)
        if client.bundle_variable is None:
            continue
        # no config file of its: the variable it reads carries the bundle (poetry: no source)
        plan = plan_client(
            client.name, bundle, target, env, read=lambda _p: None, cwd=str(tmp_path)
        )
        assert plan.env_to_set == ((client.bundle_variable, bundle),) and not plan.edits


@pytest.mark.once
def test_run_reads_each_installers_own_index_options_and_tls_words() -> None:
    """``run -- uv ...``: uv's ``--default-index``/``--index`` name indexes and rustls'
    words mean a TLS failure; both are uv's module's, not pip's."""
    from pipssl.clients.registry import client
    from pipssl.interpreter.runpip import failed_on_tls, index_args

    uv = client("uv")
    url = "https://127.0.0.1:1/simple/"
    args = ["pip", "install", "--default-index", url, f"--index={url}x/", "-i", url + "i/", "a"]
    assert index_args(args, uv.index_flags) == [url, url + "x/", url + "i/"]
    assert index_args(args) == [url + "i/"]  # pip has no --default-index
    said = "error: Request failed\n  Caused by: invalid peer certificate: UnknownIssuer\n"
    assert failed_on_tls(2, said, uv.tls_markers) and not failed_on_tls(0, said, uv.tls_markers)
    assert not failed_on_tls(2, said)  # not pip's words
    assert failed_on_tls(1, "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED]")


# --- pdm: its settings and its repair, on file level (the real pdm: tests/clients) ------------


@pytest.mark.once
def test_pdm_reads_ca_certs_per_index_in_its_order(home: Path, tmp_path: Path) -> None:
    import sys

    from pipssl.clients import pdm
    from pipssl.clients.model import Context, Pointing
    from pipssl.interpreter.facts import SslFacts, Target

    target = Target("", "0", "", "", sys.platform, SslFacts(ok=False), None)
    project = tmp_path / "proj"
    project.mkdir()
    corp = "https://127.0.0.1:1/simple/"
    (project / "pyproject.toml").write_text(
        f'[[tool.pdm.source]]\nname = "corp"\nurl = "{corp}"\n'
    )
    config = Path(pdm.config_file(os.environ, sys.platform))
    env = dict(os.environ)

    def trusts() -> Dict[str, Any]:
        return {t.label: t for t in pdm.trusts(Context(env, sys.platform, str(project), target))}

    assert trusts() == {}  # neither on PATH nor configured
    config.parent.mkdir(parents=True)
    config.write_text("")
    default = trusts()["pdm"]
    assert default.os_store and default.verify and default.netloc is None
    assert trusts()["pdm source corp"].netloc == "127.0.0.1:1"
    ours, theirs = str(tmp_path / "ours.pem"), str(tmp_path / "theirs.pem")
    config.write_text(f'[pypi]\nca_certs = "{ours}"\n[pypi.corp]\nca_certs = "{ours}"\n')
    assert trusts()["pdm"].cafiles == (ours,) and not trusts()["pdm"].os_store
    assert trusts()["pdm source corp"].cafiles == (ours,)
    # the project's pdm.toml wins over config.toml; ca_certs over requests' variable
    (project / "pdm.toml").write_text(f'[pypi]\nca_certs = "{theirs}"\n')
    env["REQUESTS_CA_BUNDLE"] = str(tmp_path / "requests.pem")
    assert trusts()["pdm"].cafiles == (theirs,)
    (project / "pdm.toml").unlink()
    config.write_text("")
    assert trusts()["pdm"].cafiles == (env["REQUESTS_CA_BUNDLE"],)
    env["PDM_PYPI_VERIFY_SSL"] = "false"
    assert not trusts()["pdm"].verify and trusts()["pdm source corp"].verify

    # repair: ca_certs for each index in config.toml, but never over verify_ssl = false
    def plan(**more: str) -> Any:
        ctx = Context(dict(env, **more), sys.platform, str(project), target)
        text = lambda path: Path(path).read_text() if Path(path).exists() else ""  # noqa: E731
        return pdm.point(ctx, Pointing(str(tmp_path / "bundle.pem"), text))

    blocked = plan()
    assert [f.code for f in blocked.manual] == ["client-verify-disabled"]
    assert "unset PDM_PYPI_VERIFY_SSL" in blocked.manual[0].fix
    (edit,) = blocked.edits
    assert edit.data.decode() == f'[pypi.corp]\nca_certs = "{tmp_path / "bundle.pem"}"\n'
    del env["PDM_PYPI_VERIFY_SSL"]
    (edit,) = plan().edits
    assert edit.path == str(config) and edit.kind == "set-pdm-ca-certs"
    assert edit.data.decode().count("ca_certs = ") == 2
    # a source's own ca_certs in pyproject.toml wins: named, not overwritten
    (project / "pyproject.toml").write_text(
        f'[[tool.pdm.source]]\nname = "corp"\nurl = "{corp}"\nca_certs = "{theirs}"\n'
    )
    named = plan()
    assert [f.target for f in named.manual] == ["pdm source corp"]
    assert "wins over config.toml's ca_certs" in named.manual[0].summary
    assert [e.data.decode() for e in named.edits] == [
        f'[pypi]\nca_certs = "{tmp_path / "bundle.pem"}"\n'
    ]


@pytest.mark.once
def test_pdm_run_targets_the_interpreter_pdm_picks(tmp_path: Path) -> None:
    from pipssl.clients.pdm import index_urls, interpreter

    project = tmp_path / "proj"
    (project / ".venv" / "bin").mkdir(parents=True)
    venv_python = project / ".venv" / "bin" / "python"
    venv_python.write_text("")
    url = "https://127.0.0.1:1/simple/"
    (project / "pyproject.toml").write_text(f'[[tool.pdm.source]]\nname = "a"\nurl = "{url}"\n')
    env = {"HOME": str(tmp_path)}
    assert interpreter(["install"], env, str(project)) == str(venv_python)
    active = tmp_path / "active"
    (active / "bin").mkdir(parents=True)
    (active / "bin" / "python").write_text("")
    assert interpreter([], dict(env, VIRTUAL_ENV=str(active)), str(project)) == str(
        active / "bin" / "python"
    )
    (project / ".pdm-python").write_text("/saved/python\n")
    assert interpreter([], dict(env, VIRTUAL_ENV=str(active)), str(project)) == "/saved/python"
    assert interpreter([], dict(env, PDM_PYTHON="/chosen"), str(project)) == "/chosen"
    assert index_urls(env, "linux", str(project)) == [url]
    assert index_urls(dict(env, PDM_PYPI_URL=url + "x/"), "linux", str(project)) == [
        url,
        url + "x/",
    ]

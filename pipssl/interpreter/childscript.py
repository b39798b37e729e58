"""The script :mod:`pipssl.interpreter.facts` runs inside the target interpreter, as text.

It is run with ``python -c``, so it must be valid on every Python pipssl diagnoses (3.8
and newer), use the standard library only, and print one JSON object; the parent checks
its keys.
"""

from __future__ import annotations

# Runs inside the target interpreter: stdlib only, valid on every Python >= 3.8, and quick:
# it reads pip's files instead of importing pip (importing pip._internal and pip's certifi
# costs ~100 ms on Python 3.13, most of a doctor budget).
SCRIPT = r"""
import binascii, hashlib, json, os, stat, sys
import importlib.util as iu
out = {"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3],
       "prefix": sys.prefix, "base_prefix": getattr(sys, "base_prefix", sys.prefix),
       "platform": sys.platform}
def spec_dir(name):
    try:
        spec = iu.find_spec(name)
    except Exception:
        return None
    origin = spec and spec.origin
    return os.path.dirname(origin) if origin and origin.endswith("__init__.py") else None
def read_capped(path, limit=64 << 20):
    # pipssl._files.read_file's rules: a FIFO in site-packages must not block this child,
    # nor a device or a huge file swell it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("%s is not a regular file" % path)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise OSError("%s is larger than %d bytes" % (path, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)
def version_in(path):
    # `__version__ = "X"` as pip, certifi and requests spell it; urllib3 2's generated
    # file says `__version__: str` first and `__version__ = version = 'X'` later.
    try:
        text = read_capped(path, 4 << 20).decode("utf-8")
    except (OSError, ValueError):
        return None
    for line in text.splitlines():
        if line.startswith("__version__") and "=" in line:
            return line.rsplit("=", 1)[1].strip().strip("\"'")
    return None
try:
    ssl_spec = iu.find_spec("_ssl")
    ssl_file = ssl_spec.origin if ssl_spec is not None else None
except Exception:
    ssl_file = None
ssl_info = {"file": ssl_file}
try:
    import ssl
    ssl_info.update(ok=True, openssl=ssl.OPENSSL_VERSION,
                    openssl_info=list(ssl.OPENSSL_VERSION_INFO),
                    has_tls1_2=bool(getattr(ssl, "HAS_TLSv1_2", True)))
    # This OpenSSL's default verify paths: truststore pips read the OS store from them.
    paths = ssl.get_default_verify_paths()
    ssl_info["verify_paths"] = [paths.openssl_cafile_env, paths.openssl_capath_env,
                                paths.openssl_cafile, paths.openssl_capath]
except ImportError as exc:
    ssl_info.update(ok=False, error=str(exc))
out["ssl"] = ssl_info
def record_check(pkg_dir, dist, rel):
    # Compare a file with the hash its wheel's RECORD promised (read from the dist-info).
    site = os.path.dirname(pkg_dir)
    try:
        infos = sorted(n for n in os.listdir(site)
                       if n.lower().startswith(dist + "-") and n.endswith(".dist-info"))
    except OSError:
        return None
    for info in infos:
        try:
            text = read_capped(os.path.join(site, info, "RECORD"), 16 << 20).decode("utf-8")
            rows = [line.rsplit(",", 2) for line in text.splitlines()]
        except (OSError, ValueError):
            continue
        for row in rows:
            if len(row) == 3 and row[0].replace("\\", "/") == rel and "=" in row[1]:
                mode, expected = row[1].split("=", 1)
                path = os.path.join(site, *rel.split("/"))
                try:
                    digest = hashlib.new(mode, read_capped(path)).digest()
                except (OSError, ValueError) as exc:
                    return {"dist": dist, "path": path, "error": str(exc)}
                actual = binascii.b2a_base64(digest).decode().strip().rstrip("=")
                actual = actual.replace("+", "-").replace("/", "_")
                return {"dist": dist, "path": path, "expected": expected, "actual": actual}
    return None
checks = []
pip_dir = spec_dir("pip")
pip_info = None
if pip_dir:
    pip_info = {"version": version_in(os.path.join(pip_dir, "__init__.py")), "location": pip_dir}
    try:
        # pip offers no public way to ask for its default index; this private model is where
        # every pip since 10 keeps it (tests/test_target.py asks the real pip). Loaded alone,
        # by path, so pip._internal's start-up is not paid; imported as usual if that fails.
        path = os.path.join(pip_dir, "_internal", "models", "index.py")
        spec = iu.spec_from_file_location("_pipssl_pip_index", path)
        module = iu.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception:
            from pip._internal.models import index as module
        pip_info["default_index"] = module.PyPI.simple_url
        pip_info["file_host"] = module.PyPI.file_storage_domain
    except Exception as exc:
        pip_info["default_index_error"] = str(exc)
    vendored = os.path.join(pip_dir, "_vendor", "certifi")
    if os.path.isfile(os.path.join(vendored, "cacert.pem")):
        # what pip._vendor.certifi.where() returns for an installed (unzipped) pip
        pip_info["certifi"] = os.path.join(vendored, "cacert.pem")
        pip_info["certifi_version"] = version_in(os.path.join(vendored, "__init__.py"))
    checks.append(record_check(pip_dir, "pip", "pip/_vendor/certifi/cacert.pem"))
out["pip"] = pip_info
out["certifi"] = None
certifi_dir = spec_dir("certifi")
if certifi_dir:
    try:
        # imported, not read: a distribution may patch where() to its own bundle
        import certifi
        out["certifi"] = {"where": certifi.where(), "version": certifi.__version__}
    except Exception:
        pass
    checks.append(record_check(certifi_dir, "certifi", "certifi/cacert.pem"))
modules = {}
requests_dir = spec_dir("requests")
if requests_dir:
    version = version_in(os.path.join(requests_dir, "__version__.py"))
    if version:
        modules["requests"] = version
    # the urllib3 requests imports decides how it verifies (pipssl.clients.profile)
    urllib3_dir = spec_dir("urllib3")
    version = urllib3_dir and version_in(os.path.join(urllib3_dir, "_version.py"))
    if version:
        modules["urllib3"] = version
out["modules"] = modules
out["record_checks"] = [c for c in checks if c]
sys.stdout.write(json.dumps(out))
"""

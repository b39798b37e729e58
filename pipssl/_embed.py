"""Build ``get-pipssl.py``, the one-file bootstrap, byte for byte reproducibly.

A tool for a checkout (it reads ``bootstrap/``): the wheel the bootstrap carries leaves it
out, and what runs from an installed pipssl (its own wheel, for ``wheelhouse create``) is
:mod:`pipssl._wheel`.

The payload is a zip of three wheels: pipssl's own (built here from the sources beside
this module) and the upstream certifi and packaging wheels committed under
``bootstrap/vendor`` (checked against ``bootstrap/vendor.lock``).  It is base85-encoded
into ``bootstrap/template.py`` in place of one sentinel line.

Nothing depends on the clock, the umask, the order a directory lists in or the Python
running this: timestamps and modes are fixed, entries sorted, the vendored wheels are stored
as they are, and only pipssl's own files go through zlib (the same level everywhere).

    python -m pipssl._embed            # write get-pipssl.py at the checkout's root
    python -m pipssl._embed --check    # exit 1 when the committed file is stale
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import io
import re
import sys
import tokenize
import zipfile
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from pipssl import _files
from pipssl._files import write_atomic
from pipssl._wheel import build_error as _error
from pipssl._wheel import pipssl_wheel, zip_entries
from pipssl.errors import PipsslError

SENTINEL = "PAYLOAD_SHA256 = PAYLOAD = ''  # <- python -m pipssl._embed puts the payload here"
SOURCE_MARK = 'SOURCE_SHA256 = "'
#: The payload's base85 lines are as long as the project's own lines may be (ruff's
#: line-length): the file stays readable, and ~1,200 fewer newlines than at 79 columns.
LINE_WIDTH = 99
OUTPUT_NAME = "get-pipssl.py"
_LOCK_LINE = re.compile(r"([0-9a-f]{64})  ([A-Za-z0-9_.+-]+\.whl)")


def vendored_wheels(bootstrap_dir: Path) -> List[Tuple[str, bytes]]:
    """Read the upstream wheels listed in ``vendor.lock``, each checked against its SHA-256.

    Args:
        bootstrap_dir: the checkout's ``bootstrap`` directory.

    Returns:
        ``(file name, bytes)`` in the lock file's order.

    Raises:
        PipsslError: when the lock file is malformed, a wheel is missing, differs from its
            hash, or a wheel in ``vendor/`` is not listed.
    """
    lock = bootstrap_dir / "vendor.lock"
    vendor = bootstrap_dir / "vendor"
    try:
        lines = _files.read_file(lock, _files.SOURCE).decode("utf-8").splitlines()
    except (_files.FileRefused, UnicodeDecodeError) as exc:
        raise _error(f"cannot read {lock}: {exc}") from None
    wheels = []
    for number, line in enumerate(lines, 1):
        match = _LOCK_LINE.fullmatch(line)
        if not match:
            raise _error(f"{lock}:{number}: expected '<sha256>  <file>.whl' (sha256sum format)")
        expected, name = match.groups()
        try:
            data = _files.read_file(vendor / name, _files.WHEEL)
        except _files.FileRefused as exc:
            raise _error(f"cannot read {vendor / name}: {exc.cause or exc.problem}") from None
        if hashlib.sha256(data).hexdigest() != expected:
            raise _error(
                f"{vendor / name} does not match its SHA-256 in {lock}",
                hint="download the wheel again with pip download --no-deps --only-binary :all:",
            )
        wheels.append((name, data))
    listed = {name for name, _data in wheels}
    extra = sorted(p.name for p in vendor.glob("*.whl") if p.name not in listed)
    if extra:
        raise _error(f"{vendor} holds wheels not listed in {lock}: {', '.join(extra)}")
    return wheels


def lean(source: bytes) -> bytes:
    """A module as get-pipssl.py carries it: without comments and docstrings, which are
    a third of pipssl's compressed size and nothing at run time.  Lines are kept (a
    traceback names the same line as the source) and so is every other token; a
    docstring that is a body's only statement becomes ``pass``.  Only a docstring on
    lines of its own is dropped (``def f(): "doc"`` stays as it is).
    """
    text = source.decode("utf-8")
    lines = text.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            line = lines[row - 1]
            lines[row - 1] = line[:col].rstrip() + ("\n" if line.endswith("\n") else "")
    for node, alone in sorted(_docstrings(ast.parse(text)), key=lambda d: -d[0].lineno):
        start, end = node.lineno, node.end_lineno or node.lineno
        first, last = lines[start - 1].encode(), lines[end - 1].encode()
        if first[: node.col_offset].strip() or last[node.end_col_offset or 0 :].strip():
            continue
        indent = first[: node.col_offset].decode()
        lines[start - 1 : end] = [indent + "pass\n" if alone else "\n"] + ["\n"] * (end - start)
    return "".join(lines).encode("utf-8")


def _docstrings(tree: ast.AST) -> List[Tuple[ast.Expr, bool]]:
    """Each docstring (a string first in a module, class or function body), and whether
    it is the body's only statement (so that a function or class must keep one)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.append((body[0], len(body) == 1 and not isinstance(node, ast.Module)))
    return found


def payload(root: Path) -> bytes:
    """The zip of the three wheels that ``get-pipssl.py`` carries.

    Args:
        root: the checkout (holding ``pipssl/`` and ``bootstrap/``).

    Returns:
        The zip's bytes.  The upstream wheels are stored as they are (their bytes are
        pinned); pipssl's own is built from its modules made :func:`lean`, uncompressed,
        and deflated as one stream here, which compresses its modules together: about
        20 KB less than a deflated wheel.
    """
    own = pipssl_wheel(root / "pipssl", compress=zipfile.ZIP_STORED, transform=lean)
    wheels = [own, *vendored_wheels(root / "bootstrap")]
    return zip_entries(sorted(wheels), zipfile.ZIP_DEFLATED, only=own[0])


def _base85_lines(data: bytes) -> List[str]:
    text = base64.b85encode(data).decode("ascii")
    return [text[i : i + LINE_WIDTH] for i in range(0, len(text), LINE_WIDTH)]


def _seal(text: str) -> str:
    """Write the SHA-256 of the whole file (with zeros in place of itself) into it."""
    zeros = "0" * 64
    placeholder = SOURCE_MARK + zeros + '"'
    if text.count(placeholder) != 1:
        raise _error(f"the template must hold one line {placeholder}")
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    return text.replace(placeholder, SOURCE_MARK + digest + '"')


def build(root: Path) -> bytes:
    """Build the bytes of ``get-pipssl.py``.

    Args:
        root: the checkout (holding ``pipssl/`` and ``bootstrap/``).

    Returns:
        The file's content (ASCII, LF line ends).

    Raises:
        PipsslError: when the template or a vendored wheel is missing or wrong.
    """
    template_path = root / "bootstrap" / "template.py"
    try:
        template = _files.read_file(template_path, _files.SOURCE).decode("ascii")
        template = template.replace("\r\n", "\n")
    except (_files.FileRefused, UnicodeDecodeError) as exc:
        raise _error(
            f"cannot read {template_path}: {exc}",
            hint="run python -m pipssl._embed from a checkout of pipssl",
        ) from None
    lines = template.split("\n")
    if lines.count(SENTINEL) != 1:
        raise _error(f"{template_path} must hold the sentinel line exactly once: {SENTINEL}")
    data = payload(root)
    at = lines.index(SENTINEL)
    lines[at : at + 1] = [
        f'PAYLOAD_SHA256 = "{hashlib.sha256(data).hexdigest()}"',
        'PAYLOAD = """',
        *_base85_lines(data),
        '"""',
    ]
    return _seal("\n".join(lines)).encode("ascii")


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, 0o644)
    except PipsslError as exc:
        raise _error(exc.message) from None


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m pipssl._embed [--check] [--root DIR] [--output PATH]``.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        0 written / up to date, 1 stale (with ``--check``), 2 cannot build.
    """
    parser = argparse.ArgumentParser(
        prog="python -m pipssl._embed", description="Build get-pipssl.py reproducibly."
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the checkout holding pipssl/ and bootstrap/ (default: this pipssl's parent)",
    )
    parser.add_argument("--output", type=Path, help="default: get-pipssl.py in the checkout")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from a fresh build"
    )
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = args.root / OUTPUT_NAME
    try:
        data = build(args.root)
        if not args.check:
            _write(args.output, data)
            digest = hashlib.sha256(data).hexdigest()
            sys.stderr.write(f"wrote {args.output}: {len(data)} bytes, sha256 {digest}\n")
            return 0
    except PipsslError as exc:
        sys.stderr.write(f"pipssl._embed: error: {exc}\n")
        if exc.hint:
            sys.stderr.write(f"hint: {exc.hint}\n")
        return 2
    try:
        current = _files.read_file(args.output, _files.BOOTSTRAP)
    except _files.FileRefused as exc:
        sys.stderr.write(f"{exc}; run python -m pipssl._embed\n")
        return 1
    if current != data:
        sys.stderr.write(
            f"{args.output} is stale: it differs from a fresh build; run python -m pipssl._embed\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

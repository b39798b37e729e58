"""Build ``get-pipssl.py``, the one-file bootstrap, byte for byte reproducibly.

A tool for a checkout (it reads ``bootstrap/``): the wheel the bootstrap carries leaves it
out, and what runs from an installed pipssl (its own wheel, for ``wheelhouse create``) is
:mod:`pipssl._wheel`.

The payload is a zip of four wheels: pipssl's own (built here from the sources beside
this module) and the upstream certifi, packaging and tomli (TOML below Python 3.11) wheels
committed under
``bootstrap/vendor`` (checked against ``bootstrap/vendor.lock``), base85-encoded.

A copy cut short must say so rather than fail on its syntax, and Python parses a whole
file before running any of it; so the file is one line of code and comments, which any
cut leaves valid.  Line 2 is the template's loader as one ``exec()``; the template's
program follows as ``#| `` lines, the payload as ``#=`` lines, and the last line holds
the SHA-256 of the whole file (with zeros in its place): the loader checks it, then runs
the program.

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
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from pipssl import _files
from pipssl._files import write_atomic
from pipssl._wheel import build_error as _error
from pipssl._wheel import pipssl_wheel, zip_entries
from pipssl.errors import PipsslError

SENTINEL = "PAYLOAD_SHA256 = ''  # <- python -m pipssl._embed puts the payload's SHA-256 here"
LOADER_START = "# --- the loader (line 2 of get-pipssl.py) ---"
LOADER_END = "# --- end of the loader ---"
#: The last line; the loader knows it by this text (bootstrap/template.py's END).
END = "#. get-pipssl.py ends here; SHA-256 of the whole file, with zeros for this value: "
PROGRAM_MARK, PAYLOAD_MARK = "#| ", "#="
#: The payload's lines are as long as the project's own lines may be (ruff's
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
    """A module as get-pipssl.py carries it: without comments, docstrings and the
    annotations of function signatures, which are over a third of pipssl's compressed
    size and nothing at run time (annotations are strings, never evaluated: no pipssl
    code reads a function's; a class's, which dataclasses read, stay).  Lines are kept (a
    traceback names the same line as the source) and so is every other token; a
    docstring that is a body's only statement becomes ``pass``.  Only a docstring on
    lines of its own is dropped (``def f(): "doc"`` stays as it is), and only an
    annotation on one line.
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
    return _without_annotations("".join(lines).encode("utf-8"))


def _without_annotations(source: bytes) -> bytes:
    """``source`` without the annotations of its functions' parameters and returns
    (``x: int = 1`` -> ``x = 1``, ``) -> str:`` -> ``):``), each cut where it stands on
    one line with its name or arrow; offsets are the syntax tree's, in bytes."""
    lines = source.splitlines(keepends=True)
    cuts: Dict[int, List[Tuple[int, int]]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for row, start, end in _annotation_spans(node, lines):
                cuts.setdefault(row, []).append((start, end))
    for row, spans in cuts.items():
        line = lines[row]
        for start, end in sorted(spans, reverse=True):
            line = line[:start] + line[end:]
        lines[row] = line
    return b"".join(lines)


def _annotation_spans(
    node: Union[ast.FunctionDef, ast.AsyncFunctionDef], lines: List[bytes]
) -> Iterator[Tuple[int, int, int]]:
    """(line index, start, end) of each annotation of ``node`` to cut: from the end of the
    parameter's name (``: T``), or from the spaces before the arrow (`` -> T``)."""
    params = node.args
    named = [*params.posonlyargs, *params.args, *params.kwonlyargs]
    for arg in [*named, params.vararg, params.kwarg]:
        note = arg.annotation if arg is not None else None
        if arg is None or note is None or not arg.lineno == note.lineno == note.end_lineno:
            continue
        end = arg.col_offset + len(arg.arg.encode("utf-8"))
        if lines[arg.lineno - 1][end : note.col_offset].strip() == b":":
            yield arg.lineno - 1, end, note.end_col_offset or end
    returns = node.returns
    if returns is not None and returns.lineno == returns.end_lineno:
        line = lines[returns.lineno - 1]
        arrow = line.rfind(b"->", 0, returns.col_offset)
        if arrow >= 0 and not line[arrow + 2 : returns.col_offset].strip():
            start = len(line[:arrow].rstrip(b" "))
            yield returns.lineno - 1, start, returns.end_col_offset or arrow


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
    """The zip of the four wheels that ``get-pipssl.py`` carries.

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
    width = LINE_WIDTH - len(PAYLOAD_MARK)
    return [PAYLOAD_MARK + text[i : i + width] for i in range(0, len(text), width)]


def _sealed(lines: List[str]) -> str:
    """``lines`` and the last line: the SHA-256 of the whole (with zeros in its place)."""
    text = "\n".join(lines) + "\n"
    digest = hashlib.sha256((text + END + "0" * 64 + "\n").encode("ascii")).hexdigest()
    return text + END + digest + "\n"


def _loader_line(loader: List[str]) -> str:
    """The loader as one line of code that Python 2.7 parses too (no comments, no
    docstrings: the shorter the line, the fewer cuts fall inside it)."""
    code = lean("\n".join(loader).encode("ascii")).decode("ascii")
    code = "\n".join(line for line in code.split("\n") if line.strip()) + "\n"
    return f"exec({code!r})"


def _parts(template: str, where: Path) -> Tuple[List[str], List[str], List[str]]:
    """The template's header comments, its loader and its program."""
    lines = template.split("\n")
    for mark in (LOADER_START, LOADER_END, SENTINEL):
        if lines.count(mark) != 1:
            raise _error(f"{where} must hold this line exactly once: {mark}")
    start, end = lines.index(LOADER_START), lines.index(LOADER_END)
    header = lines[:start]
    if not all(line.startswith("#") or not line.strip() for line in header):
        raise _error(f"{where}: only comments may come before the loader")
    while lines and not lines[-1]:
        lines.pop()
    return header, lines[start + 1 : end], lines[end + 1 :]


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
    header, loader, program = _parts(template, template_path)
    data = payload(root)
    at = program.index(SENTINEL)
    program[at] = f'PAYLOAD_SHA256 = "{hashlib.sha256(data).hexdigest()}"'
    lines = [header[0], _loader_line(loader), *header[1:]]
    lines += [(PROGRAM_MARK + line).rstrip() for line in program]
    lines += _base85_lines(data)
    return _sealed(lines).encode("ascii")


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

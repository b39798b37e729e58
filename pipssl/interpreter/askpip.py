"""Ask the real pip: can it reach each index, with its own config, environment and code?

pipssl's probe reaches an index the way its model of pip says pip would.  A model can be
wrong (a pip version's quirk, a setting pipssl does not know, a ``sitecustomize`` that
changes ``ssl``), so every diagnosis also asks the target's pip itself, in parallel with
the probes: ``pip install`` of a requirement no index can satisfy, with no retries and
pip's logging turned up.  ``install``, as users run it: pip reads the ``[install]``
section of its config for it (a ``cert`` there beats ``[global]``'s, and ``download``
never reads it).  pip fetches the project page of every index it uses and logs how each
fetch went; a page that answers at all (a 404 included) was reached, TLS and all.
Nothing is installed and nothing is downloaded: the requirement pins a local version
label (``0+pipssl``), which an index may not publish, and ``--target`` is a scratch
directory, deleted after, should an index publish it all the same.

This module starts pip and is light on purpose: a confirmed verdict cannot come sooner
than pip's, so pip starts before pipssl loads anything it does not need for that (its log
is read by :mod:`pipssl.interpreter.piplog`, loaded while pip runs).
"""

from __future__ import annotations

import shutil
import tempfile
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from pipssl._limits import run_limit
from pipssl.interpreter.child import Child, Finished

if TYPE_CHECKING:
    from pipssl.interpreter.piplog import PipAnswer

#: A requirement no index can satisfy (local version labels are not published), so pip
#: fetches every index's page for it and downloads nothing.
REQUIREMENT = "pipssl-reachability-check==0+pipssl"
PAGE_NAME = "pipssl-reachability-check"
#: The variables that would turn pip's logging down (pip reads them as config).
_QUIETING = ("PIP_QUIET", "PIP_VERBOSE", "PIP_LOG", "PIP_LOG_FILE")


class Asking:
    """A pip asked in the background: started by :func:`ask`, its answer read by
    :func:`pipssl.interpreter.piplog.answer` (loaded while pip runs).

    Attributes:
        dest: pip's scratch --target directory (left empty), removed once pip has ended.
        answered: pip's answer, once read (it is read once, however often it is asked).
    """

    def __init__(self, argv: List[str], env: Mapping[str, str], limit: float, dest: str):
        self.dest = dest
        self.answered: Optional[PipAnswer] = None
        try:
            self._child: Optional[Child] = Child(argv, env, limit=limit, merge_stderr=True)
            self._failed = ""
        except OSError as exc:
            self._child, self._failed = None, f"pip could not be started ({exc})"

    def finish(self) -> Tuple[Optional[Finished], str]:
        """How pip ended, once it has (or was stopped at its deadline); None and why, when
        it could not be started.  Its scratch directory is removed."""
        try:
            return (self._child.wait(), "") if self._child is not None else (None, self._failed)
        finally:
            shutil.rmtree(self.dest, ignore_errors=True)

    def cancel(self) -> None:
        """Stop pip (when nothing will read its answer)."""
        if self._child is not None:
            self._child.stop()
        shutil.rmtree(self.dest, ignore_errors=True)


def ask(
    python: str,
    env: Mapping[str, str],
    index_urls: Optional[Sequence[str]],
    timeout: float,
) -> Asking:
    """Start ``python -m pip install`` of :data:`REQUIREMENT` with pip's own settings.

    Args:
        python: the interpreter whose pip to ask.
        env: the environment pip runs with (as diagnosed).
        index_urls: the indexes to ask about instead of the configured ones (None: the
            configured ones, as that pip reads its config).
        timeout: pip's ``--timeout`` (seconds per connection); the whole run is given
            :func:`~pipssl._limits.run_limit` of it, and pip is stopped there.
    """
    dest = tempfile.mkdtemp(prefix="pipssl-ask-")
    argv = [python, "-m", "pip", "install", *_OPTIONS, "--timeout", f"{timeout:g}"]
    argv += ["--target", dest, REQUIREMENT]
    return Asking(argv, _child_env(env, index_urls), run_limit(timeout), dest)


def _child_env(env: Mapping[str, str], index_urls: Optional[Sequence[str]]) -> Dict[str, str]:
    """pip's environment: as diagnosed, its logging up, the indexes asked about."""
    child_env = {k: v for k, v in env.items() if k.upper() not in _QUIETING}
    # Where pip would install does not change what it reaches: a `user` or
    # `require-virtualenv` of the config would stop it before any index (`--user` cannot
    # go with --target; outside a venv, nothing may be installed).
    child_env.update(PIP_USER="0", PIP_REQUIRE_VIRTUALENV="0")
    if index_urls:
        # In pip's variables, not on a command line other users can read (an index URL
        # may carry credentials); they take the place of the config files' values.
        child_env["PIP_INDEX_URL"] = index_urls[0]
        child_env["PIP_EXTRA_INDEX_URL"] = " ".join(index_urls[1:])
    return child_env


def ask_files(
    python: str,
    env: Mapping[str, str],
    index_urls: Optional[Sequence[str]],
    timeout: float,
    project: str,
    dry_run: bool,
    limit: float,
) -> Asking:
    """Start the real pip on its way to the files: ``pip install`` of ``project`` (the
    project whose page pipssl follows) into a scratch ``--target``, so that pip fetches a
    file (or only its metadata, PEP 658, with ``dry_run``: pip 22.2 and later) from the
    host it would download from.  Its log says which hosts it reached (``hosts``); the
    scratch directory is deleted after.  A project an index does not serve is no failure:
    only a host pip could not connect to counts.  ``limit``: seconds pip may run (what
    is left of the diagnosis' bound: it starts once pipssl's probes found such a host)."""
    dest = tempfile.mkdtemp(prefix="pipssl-files-")
    argv = [python, "-m", "pip", "install", *_OPTIONS, "--timeout", f"{timeout:g}"]
    argv += ["--dry-run"] if dry_run else []
    argv += ["--target", dest, project]
    return Asking(argv, _child_env(env, index_urls), limit, dest)


#: Why each option: no dependencies, cache, self-check or prompt; a failure is told at
#: once (no retries); wheels only, so that even an index that did serve the requirement
#: could not make pip build (run) an sdist; -vvv: the fetch of each page is logged at
#: debug level, and three v's outweigh a ``quiet`` in pip's config files.
_OPTIONS = (
    "--no-deps",
    "--only-binary",
    ":all:",
    "--no-cache-dir",
    "--disable-pip-version-check",
    "--no-input",
    "--retries",
    "0",
    "-vvv",
)

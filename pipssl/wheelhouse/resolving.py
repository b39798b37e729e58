"""What ``install`` takes from a bundle: requirements resolved against the wheels it holds.

Each requirement is parsed with ``packaging`` and matched as the target's pip would match
it against a find-links directory holding one version of each project: its marker is
evaluated for the target interpreter (false: the requirement is skipped, as pip skips it),
the version must satisfy the specifier, and every dependency reached - through the asked
extras, with the markers evaluated for the target - must be in the bundle at a version
its specifier allows.  Anything else is refused here, before pip runs, naming the
requirement and what the bundle holds.

Dependencies are read from the wheels' own METADATA (the verified copies ``install``
extracted), not from the manifest's graph: that graph lists only the dependencies the
bundle holds, without specifiers, so it cannot say what is missing.
"""

from __future__ import annotations

import email.parser
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from pipssl import _files
from pipssl._names import normalize
from pipssl._text import shown
from pipssl.commands import quote
from pipssl.errors import PipsslError
from pipssl.wheelhouse.manifest import Manifest, error

if TYPE_CHECKING:  # packaging is imported where it is used (see pipssl's import rule)
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet


@dataclass(frozen=True)
class Resolution:
    """The projects to pin (normalised names), and what was skipped or worth saying."""

    projects: Tuple[str, ...]
    skipped: Tuple[str, ...]
    notes: Tuple[str, ...]


@dataclass(frozen=True)
class _Held:
    """One project of the bundle: its version and the path of one of its wheels."""

    version: str
    wheel: Path


def _held(manifest: Manifest, wheels: Path) -> Dict[str, _Held]:
    # create pins one version per project (_pins refuses more), so any of its wheels
    # (one per platform) carries the same METADATA: take the first by name.
    found: Dict[str, _Held] = {}
    for wheel in sorted(manifest.wheels, key=lambda w: w.path):
        name = normalize(wheel.name)
        if name not in found:
            found[name] = _Held(wheel.version, wheels / Path(wheel.path).name)
    return found


def _metadata(wheel: Path) -> Tuple[List[str], List[str]]:
    """(Requires-Dist lines, normalised Provides-Extra names) of one wheel."""
    with _files.open_file(wheel, _files.WHEEL) as handle, zipfile.ZipFile(handle) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if len(names) != 1:
            return [], []
        data = _files.read_member(archive, names[0], _files.METADATA)
    text = data.decode("utf-8", "replace")
    message = email.parser.Parser().parsestr(text, headersonly=True)
    extras = [normalize(e) for e in message.get_all("Provides-Extra") or ()]
    return list(message.get_all("Requires-Dist") or ()), extras


def allows(specifier: SpecifierSet, version: str) -> bool:
    """Whether pip, offered only ``version``, takes it for ``specifier``.

    Measured with pip 23.0.1 and 24.2 (``--no-index --find-links`` on one 2.0rc1 wheel):
    no specifier takes the prerelease; ``>=2.0rc1`` takes it; ``>=1``, ``<3``, ``!=1.0``
    and ``==2.*`` refuse it.  That is the PEP 440 rule - a prerelease only when a clause
    names one - so it is spelt out here rather than left to ``contains``' default, which
    changed between packaging releases.
    """
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415 packaging may be missing

    if not str(specifier):
        return True
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False  # pip ignores a wheel whose version is not PEP 440
    prereleases = bool(specifier.prereleases) if parsed.is_prerelease else False
    return bool(specifier.contains(parsed, prereleases=prereleases))


def _holds(marker: Optional[Marker], environment: Mapping[str, str], extra: str) -> bool:
    if marker is None:
        return True
    try:
        # "extra" set explicitly: older packaging raises for a marker naming an unset one.
        return bool(marker.evaluate({**environment, "extra": extra}))
    except Exception:  # packaging's marker errors differ between its versions
        return True  # keep the requirement: checking it costs less than a failed install


def _hint(requirement: str) -> str:
    return (
        f"create the bundle with that requirement (wheelhouse create {quote(requirement)}"
        " ... on a connected machine), or ask for what the bundle holds"
    )


def resolve(
    manifest: Manifest,
    wheels: Path,
    requirements: Sequence[str],
    environment: Mapping[str, str],
) -> Resolution:
    """Resolve ``requirements`` against the bundle for the target's marker ``environment``.

    Args:
        manifest: the verified manifest.
        wheels: the directory the verified wheels were extracted to.
        requirements: PEP 508 requirement strings (no URLs).
        environment: ``packaging.markers.default_environment()`` of the target.

    Returns:
        The projects to install (dependencies included), the requirements whose marker is
        false for the target, and notes (an extra a project does not provide: pip warns
        and installs it without).

    Raises:
        PipsslError: ``usage-error`` for a requirement that does not parse or names a URL;
            ``not-in-bundle`` for one the bundle cannot satisfy, with what it holds.
    """
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415 packaging may be missing

    held = _held(manifest, wheels)
    projects: List[str] = []
    skipped: List[str] = []
    notes: List[str] = []
    done: Set[Tuple[str, str]] = set()  # (project, extras) walked
    for text in requirements:
        try:
            asked = Requirement(text)
        except InvalidRequirement as exc:
            raise error(f"{text!r} is not a requirement: {exc}", "usage-error") from None
        if asked.url:
            raise error(f"{text}: a bundle cannot install from a URL", "usage-error")
        if not _holds(asked.marker, environment, ""):
            skipped.append(text)
            continue
        todo: List[Tuple[Requirement, Optional[str]]] = [(asked, None)]
        while todo:
            req, parent = todo.pop()
            name = normalize(req.name)
            found = _check(req, parent, text, held)
            extras = sorted(normalize(e) for e in req.extras)
            if (name, ",".join(extras)) in done:
                continue
            done.add((name, ",".join(extras)))
            if name not in projects:
                projects.append(name)
            lines, provided = _metadata(found.wheel)
            for extra in extras:
                if extra not in provided:
                    notes.append(
                        f"{name} {shown(found.version)} does not provide the extra "
                        f"{shown(repr(extra))}"
                    )
            for line in lines:
                try:
                    dep = Requirement(line)
                except InvalidRequirement:
                    continue  # not checkable here: pip, reading the same METADATA, decides
                if any(_holds(dep.marker, environment, e) for e in ["", *extras]):
                    todo.append((dep, f"{name} {shown(found.version)}"))
    return Resolution(tuple(projects), tuple(skipped), tuple(dict.fromkeys(notes)))


def _check(req: Requirement, parent: Optional[str], text: str, held: Mapping[str, _Held]) -> _Held:
    """The held project ``req`` names, at a version it allows; else the refusal, naming the
    asked requirement ``text`` and, for a dependency, the project (``parent``) needing it."""
    name = normalize(req.name)
    found = held.get(name)
    said = shown(text)  # the requirement asked for: the user's, or the bundle manifest's
    needs = f"{said}: {parent} needs {req.name}{req.specifier}, " if parent else ""
    if found is None:
        message = needs + "which is not in the bundle"
        if not parent:
            holds = shown(", ".join(sorted(held)))
            message = f"{said}: {name} is not in the bundle; it holds {holds}"
    elif not allows(req.specifier, found.version):
        held_as = f"the bundle holds {name} {shown(found.version)}"
        message = needs + "and " + held_as if parent else f"{said}: {held_as}"
    else:
        return found
    raise _refusal(message, text)


def _refusal(message: str, requirement: str) -> PipsslError:
    return error(message, "not-in-bundle", hint=_hint(requirement))

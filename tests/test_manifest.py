"""The wheelhouse manifest read once at the boundary: a typed Manifest, or bundle-damaged."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from pipssl.errors import PipsslError
from pipssl.wheelhouse.manifest import Manifest, check_manifest

WHEEL = "wheels/alpha-1.0-py3-none-any.whl"


def _written() -> Dict[str, Any]:
    """A manifest as ``create`` writes it."""
    return {
        "schema": 1,
        "created_by": "pipssl 0.1.0",
        "created_for": {"python_versions": ["3.8"], "platforms": [], "interpreter": None},
        "pip_version": "24.2",
        "requirements": ["alpha[fast]>=1", "--only-binary :all:"],
        "roots": ["alpha[fast]"],
        "wheels": [
            {
                "path": WHEEL,
                "name": "alpha",
                "version": "1.0",
                "tags": ["py3-none-any"],
                "requires": {"": ["beta"], "fast": ["gamma"]},
            }
        ],
        "files": [
            {"path": "requirements.txt", "sha256": "ab" * 32, "size": 12},
            {"path": WHEEL, "sha256": "cd" * 32, "size": 345},
        ],
    }


def _checked(data: Dict[str, Any]) -> Manifest:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(data))
    with zipfile.ZipFile(buffer) as archive:
        return check_manifest(Path("b.zip"), archive, archive.getinfo("manifest.json"))


@pytest.mark.once
def test_a_written_manifest_reads_back_typed_and_writes_the_same_json() -> None:
    manifest = _checked(_written())
    assert manifest.roots == ("alpha[fast]",)
    assert manifest.wheels[0].version == "1.0" and manifest.wheels[0].tags == ("py3-none-any",)
    assert manifest.wheels[0].requires == {"": ("beta",), "fast": ("gamma",)}
    assert manifest.digests() == {"requirements.txt": ("ab" * 32, 12), WHEEL: ("cd" * 32, 345)}
    assert manifest.to_json() == _written()


def _without_version(m: Dict[str, Any]) -> None:
    del m["wheels"][0]["version"]


def _sized_by_text(m: Dict[str, Any]) -> None:
    m["files"][0]["size"] = "12"


def _requirements_text(m: Dict[str, Any]) -> None:
    m["requirements"] = "alpha"


def _roots_number(m: Dict[str, Any]) -> None:
    m["roots"] = 1


def _dependency_not_a_list(m: Dict[str, Any]) -> None:
    m["wheels"][0]["requires"] = {"": "beta"}


@pytest.mark.once
@pytest.mark.parametrize(
    "damage",
    [_without_version, _sized_by_text, _requirements_text, _roots_number, _dependency_not_a_list],
)
def test_a_malformed_manifest_is_refused_at_the_boundary(
    damage: Callable[[Dict[str, Any]], None],
) -> None:
    # each of these reached install (a KeyError there, or a string taken for a list)
    data = copy.deepcopy(_written())
    damage(data)
    with pytest.raises(PipsslError, match=r"manifest\.json is invalid") as caught:
        _checked(data)
    assert caught.value.reference == "bundle-damaged"

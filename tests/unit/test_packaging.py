"""The packaging list in pyproject.toml names every folder, so none is left out of an install
(the folders are mapped to ``interview_outreach.*`` one by one)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _folders() -> set[str]:
    found = set()
    for top in ("daemon", "providers"):
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]:
            if folder.is_dir() and folder.name != "__pycache__":
                found.add("interview_outreach." + ".".join(folder.relative_to(ROOT).parts))
    return found


def test_every_code_folder_is_a_listed_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _folders()
    assert setuptools["package-dir"] == {
        "interview_outreach.daemon": "daemon",
        "interview_outreach.providers": "providers",
    }


def test_every_code_folder_is_a_regular_package() -> None:
    """A folder without ``__init__.py`` is a namespace package: the import-linter contract
    (pyproject.toml) does not see into it."""
    folders = [ROOT / Path(*name.split(".")[1:]) for name in _folders()]
    missing = [f for f in folders if any(f.glob("*.py")) and not (f / "__init__.py").exists()]
    assert not missing

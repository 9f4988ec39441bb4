"""Every folder of code below daemon/ and providers/ is a regular package, so the import
contracts (pyproject.toml, run by `make lint`) see into it. That every file is installed is
checked on the installed package (tests/e2e/test_installed.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_code_folder_is_a_regular_package() -> None:
    folders = [
        folder
        for top in ("daemon", "providers")
        for folder in [ROOT / top, *(ROOT / top).rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    ]
    assert len(folders) >= 10, folders
    missing = [f for f in folders if not (f / "__init__.py").exists()]
    assert not missing

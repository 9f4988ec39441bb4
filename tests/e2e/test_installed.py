"""The installed console script: packaging (templates, migrations) and exit codes for a user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "interview-outreach"


@pytest.fixture
def script() -> Path:
    if not SCRIPT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{SCRIPT} is missing: the project is not installed in this environment")
        pytest.skip("the project is not installed in this environment (run `make test`)")
    return SCRIPT


def run(script: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "TZ": "Europe/London",
    }
    # Run from a neutral folder so the installed package is used, not the source tree.
    return subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        check=False,
        timeout=120,
    )


def test_demo_runs_from_the_installed_package(script: Path, tmp_path: Path) -> None:
    result = run(script, "demo", "--dir", str(tmp_path / "demo"), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Technical interview" not in result.stderr
    assert "Northwind Robotics" in result.stdout
    drafts = list((tmp_path / "demo" / "mail" / ".Drafts" / "cur").iterdir())
    assert drafts, result.stdout
    assert "Traceback" not in result.stderr


def test_a_missing_config_is_one_line_and_exit_2(script: Path, tmp_path: Path) -> None:
    result = run(script, "once", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "config.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_config_is_reported_per_problem_with_exit_2(script: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[profile]\nname = "Ada"\ntimezone = "Mars/Olympus"\n[rules]\ndraft_tme = "09:00"\n'
    )
    result = run(script, "--config", str(config), "once", home=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any("timezone" in line for line in lines)
    assert any("draft_time" in line for line in lines)
    assert any("accounts" in line for line in lines)
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".local/share/interview-outreach").exists()  # changed nothing


def isolated_python(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """This environment's Python with ``-I``: neither the working folder nor PYTHON*
    variables put the source tree on the path, so only installed packages are imported."""
    return subprocess.run(
        [sys.executable, "-I", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=60,
    )


def test_installs_under_its_own_import_name_beside_python_daemon(
    script: Path, tmp_path: Path
) -> None:
    """python-daemon (a test dependency, in this same environment) owns the top-level
    ``daemon`` package; this distribution installs files under ``interview_outreach`` only."""
    probe = (
        "import importlib.metadata, daemon, interview_outreach.daemon.cli as cli\n"
        "assert hasattr(daemon, 'DaemonContext'), daemon.__file__\n"
        "files = importlib.metadata.distribution('interview-outreach').files\n"
        "print(cli.__name__, *sorted({f.parts[0] for f in files} - {'..'}))\n"
    )
    imported = isolated_python("-c", probe, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    # Every file it installs is under interview_outreach/ or its metadata (".." above is
    # the console script in bin/).
    assert imported.stdout.split() == [
        "interview_outreach.daemon.cli",
        "interview_outreach",
        "interview_outreach-0.1.0.dist-info",
    ]
    by_script = run(script, "--version", home=tmp_path)
    by_module = isolated_python("-m", "interview_outreach.daemon", "--version", cwd=tmp_path)
    assert by_script.returncode == 0, by_script.stderr
    assert by_module.returncode == 0, by_module.stderr
    assert by_module.stdout == by_script.stdout == "interview-outreach 0.1.0\n"


def test_every_source_file_is_installed(script: Path, tmp_path: Path) -> None:
    """The packages are found (setup.py), not listed: a new folder, template or migration
    ships without another line anywhere."""
    root = Path(__file__).resolve().parents[2]
    source = {
        str(path.relative_to(root))
        for top in ("daemon", "providers")
        for path in (root / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    probe = (
        "import importlib.metadata\n"
        "for f in importlib.metadata.distribution('interview-outreach').files:\n"
        "    if f.parts[0] == 'interview_outreach' and '__pycache__' not in f.parts:\n"
        "        print('/'.join(f.parts[1:]))\n"
    )
    listed = isolated_python("-c", probe, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert set(listed.stdout.split()) == source

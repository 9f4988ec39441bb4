"""The systemd user unit: the repository copy, `service install|uninstall`, systemd-analyze."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from interview_outreach.daemon import unit
from interview_outreach.daemon.cli import main
from tests import configs

ROOT = Path(__file__).resolve().parents[2]
REPO_UNIT = ROOT / "systemd" / "interview-outreach.service"


def write_config(path: Path) -> Path:
    """A configuration `run` would start with: one local account whose folders exist."""
    calendar, maildir = path.parent / "calendar", path.parent / "Mail"
    calendar.mkdir(parents=True, exist_ok=True)
    maildir.mkdir(exist_ok=True)
    return configs.write_config(
        path,
        profile={"name": "Ada Lovelace", "timezone": "Europe/London"},
        accounts=[configs.local_account("home", "ada@example.org", calendar, maildir)],
    )


def test_the_repository_unit_is_what_install_writes_for_a_pipx_install() -> None:
    assert REPO_UNIT.read_text(encoding="utf-8") == unit.render_unit(unit.PIPX_EXEC_START)


def test_the_unit_is_a_notify_service_with_watchdog_restart_and_hardening() -> None:
    text = unit.render_unit("/usr/bin/interview-outreach run")
    lines = set(text.splitlines())
    for expected in (
        "Type=notify",
        "WatchdogSec=120",
        "Restart=on-failure",
        "RestartPreventExitStatus=2",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "NoNewPrivileges=yes",
        "UMask=0077",
        "SystemCallFilter=@system-service",
        "WantedBy=default.target",
    ):
        assert expected in lines, expected
    # Options needing a mount namespace fail in user units where user namespaces are
    # restricted; the unit must not use them.
    for absent in ("ProtectSystem", "ProtectHome", "PrivateTmp", "ReadWritePaths", "PrivateUsers"):
        assert not any(line.startswith(absent + "=") for line in lines), absent


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("/usr/bin/interview-outreach", "/usr/bin/interview-outreach"),
        ("/home/a b/config.toml", '"/home/a b/config.toml"'),
        ("/home/ada/100%.toml", "/home/ada/100%%.toml"),
        ("/home/ada/$HOME.toml", "/home/ada/$$HOME.toml"),
        ('/home/ada/"q".toml', '"/home/ada/\\"q\\".toml"'),
    ],
)
def test_command_words_are_escaped_for_systemd(word: str, quoted: str) -> None:
    assert unit.quote(word) == quoted


def test_install_writes_the_unit_with_absolute_paths_and_prints_the_systemctl_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("INTERVIEW_OUTREACH_CONFIG", raising=False)
    config = write_config(tmp_path / "my config.toml")

    assert main(["--config", str(config), "service", "install"]) == 0

    path = tmp_path / "xdg" / "systemd" / "user" / "interview-outreach.service"
    text = path.read_text(encoding="utf-8")
    command = unit.unit_command(text)
    assert command is not None
    program = command.split()[0]
    assert Path(program).is_absolute() and Path(program).exists()
    assert command.endswith(f'--config "{config}" run')
    out = capsys.readouterr().out
    assert (
        "systemctl --user daemon-reload && systemctl --user enable --now interview-outreach" in out
    )
    assert str(path) in out


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no configuration file there; copy config.example.toml"),
        ("[profile\nname = 1\n", "not valid TOML"),
        ('[profile]\nname = "Ada"\ntimezone = "Mars/Olympus"\n', "profile.timezone"),
    ],
    ids=["missing", "not TOML", "invalid"],
)
@pytest.mark.parametrize("where", ["before", "after", "environment"])
def test_install_refuses_a_configuration_run_could_not_start_with(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    problem: str,
    where: str,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("INTERVIEW_OUTREACH_CONFIG", raising=False)
    config = tmp_path / "config.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    args = {
        "before": ["--config", str(config), "service", "install"],
        "after": ["service", "install", f"--config={config}"],
        "environment": ["service", "install"],
    }[where]
    if where == "environment":
        monkeypatch.setenv("INTERVIEW_OUTREACH_CONFIG", str(config))

    assert main(args) == 2

    assert not (tmp_path / "xdg").exists()  # nothing written
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert problem in lines[0]
    assert lines[-1] == (
        f"interview-outreach: service not installed: fix {config} as said above, then run "
        "`interview-outreach service install` again"
    )
    assert "Traceback" not in captured.err


def test_install_uses_the_console_script_it_was_called_as(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "interview-outreach"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    assert unit.installed_command(str(script), sys.executable) == [str(script)]
    beside = tmp_path / "venv" / "bin"
    beside.mkdir(parents=True)
    (beside / "interview-outreach").write_text("#!/bin/sh\n")
    assert unit.installed_command("pytest", str(beside / "python")) == [
        str(beside / "interview-outreach")
    ]
    assert unit.installed_command("pytest", "/opt/py/bin/python3") == [
        "/opt/py/bin/python3",
        "-m",
        "interview_outreach.daemon",
    ]


def test_install_without_config_option_uses_the_environment_or_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("INTERVIEW_OUTREACH_CONFIG", raising=False)
    write_config(tmp_path / "interview-outreach" / "config.toml")  # the default place
    assert main(["service", "install"]) == 0
    assert "--config" not in (unit.unit_command(unit.unit_path().read_text()) or "")
    write_config(tmp_path / "elsewhere.toml")
    monkeypatch.setenv("INTERVIEW_OUTREACH_CONFIG", str(tmp_path / "elsewhere.toml"))
    assert main(["service", "install"]) == 0
    assert f"--config {tmp_path / 'elsewhere.toml'} run" in (
        unit.unit_command(unit.unit_path().read_text()) or ""
    )
    assert "Replaced" in capsys.readouterr().out


def test_uninstall_removes_the_unit_and_its_enable_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("INTERVIEW_OUTREACH_CONFIG", str(write_config(tmp_path / "config.toml")))
    assert main(["service", "install"]) == 0
    path = unit.unit_path()
    wants = path.parent / "default.target.wants"
    wants.mkdir()
    (wants / unit.UNIT_NAME).symlink_to(path)  # what `systemctl --user enable` makes
    capsys.readouterr()

    assert main(["service", "uninstall"]) == 0
    assert not path.exists()
    assert not (wants / unit.UNIT_NAME).is_symlink()
    assert "systemctl --user stop interview-outreach" in capsys.readouterr().out
    assert main(["service", "uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_unit_path_respects_xdg_config_home() -> None:
    assert unit.unit_path({"XDG_CONFIG_HOME": "/x/conf", "HOME": "/h"}) == Path(
        "/x/conf/systemd/user/interview-outreach.service"
    )
    assert unit.unit_path({"XDG_CONFIG_HOME": "relative", "HOME": "/h"}) == Path(
        "/h/.config/systemd/user/interview-outreach.service"
    )


@pytest.fixture
def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing: .ci/run installs systemd")
        pytest.skip("systemd-analyze is not installed")
    return found


def test_the_installed_unit_passes_systemd_analyze_verify(
    systemd_analyze: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    config = write_config(tmp_path / "config.toml")
    assert main(["--config", str(config), "service", "install"]) == 0
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        [systemd_analyze, "--user", "verify", str(unit.unit_path())],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # verify only warns (exit 0) about unknown keys and the like: there must be none.
    assert "interview-outreach.service" not in result.stderr, result.stderr


def test_verify_catches_a_broken_unit(
    systemd_analyze: str, tmp_path: Path
) -> None:  # the check above would notice a mistake
    broken = tmp_path / unit.UNIT_NAME
    broken.write_text(
        unit.render_unit(f"{sys.executable} -m daemon run").replace("UMask=0077", "UMasq=0077")
    )
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        [systemd_analyze, "--user", "verify", str(broken)],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        timeout=60,
        check=False,
    )
    assert "Unknown key" in result.stderr

"""Where tokens live: the keyring by default, a private file only by explicit opt-in."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from interview_outreach.daemon.config import parse_config
from interview_outreach.daemon.errors import ConfigError, UserError
from interview_outreach.daemon.secrets import FileSecrets, TokenStore


def config_data(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "cal").mkdir(exist_ok=True)
    (tmp_path / "mail").mkdir(exist_ok=True)
    return {
        "profile": {"name": "Ada", "timezone": "Europe/London"},
        "accounts": [
            {
                "name": "home",
                "provider": "local",
                "address": "ada@example.org",
                "calendar": str(tmp_path / "cal"),
                "maildir": str(tmp_path / "mail"),
            }
        ],
        **sections,
    }


def parse(tmp_path: Path, **sections: dict[str, Any]) -> Any:
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    return parse_config(config_data(tmp_path, **sections), base_dir=tmp_path, env=env)


def test_the_keyring_is_the_default(tmp_path: Path) -> None:
    config = parse(tmp_path)
    assert config.secrets.store == "keyring"
    assert TokenStore.for_config(config).file is None
    assert config.daemon.notifications is True


def test_the_file_store_is_an_explicit_choice_with_a_default_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = parse(tmp_path, secrets={"store": "file"})
    assert config.secrets.store == "file"
    assert config.secrets.file == tmp_path / "data" / "interview-outreach" / "tokens.json"
    assert TokenStore.for_config(config).file == config.secrets.file


def test_the_file_can_be_placed_relative_to_the_config(tmp_path: Path) -> None:
    config = parse(tmp_path, secrets={"store": "file", "file": "private/tokens.json"})
    assert config.secrets.file == tmp_path / "private" / "tokens.json"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"store": "plaintext"},
            'secrets.store: "plaintext" is not a place to keep tokens; use one of "keyring", "file"',
        ),
        ({"store": "file", "file": "."}, "secrets.file: "),
        ({"stor": "file"}, 'secrets.stor: unknown key; did you mean "store"?'),
        ({"store": 1}, "secrets.store: expected text in quotes"),
    ],
)
def test_the_secrets_section_is_checked(
    tmp_path: Path, section: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, secrets=section)
    assert any(problem.startswith(message) for problem in caught.value.problems), (
        caught.value.problems
    )


def test_a_file_without_store_file_keeps_tokens_in_the_keyring(tmp_path: Path) -> None:
    config = parse(tmp_path, secrets={"file": "tokens.json"})
    assert config.secrets.store == "keyring"
    assert TokenStore.for_config(config).file is None


def test_notifications_is_a_yes_no_key(tmp_path: Path) -> None:
    assert parse(tmp_path, daemon={"notifications": False}).daemon.notifications is False
    with pytest.raises(ConfigError) as caught:
        parse(tmp_path, daemon={"notifications": "no"})
    assert caught.value.problems == [
        'daemon.notifications: expected true or false, found the text "no"; write e.g. notifications = true'
    ]


def test_the_file_is_private_from_its_first_byte_and_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "tokens.json"
    tokens = TokenStore(backend=FileSecrets(path))
    tokens.set("personal", "secret-1")
    tokens.set("work", "secret-2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert tokens.get("personal") == "secret-1"
    tokens.set("personal", "secret-3")
    assert tokens.get("personal") == "secret-3"
    tokens.delete("personal")
    tokens.delete("personal")  # forgetting nothing is no error
    assert tokens.get("personal") is None
    assert tokens.get("work") == "secret-2"
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]  # no temporary left


def test_a_damaged_token_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("not json")
    with pytest.raises(UserError) as caught:
        TokenStore(backend=FileSecrets(path)).get("personal")
    assert "not a token file written by interview-outreach" in str(caught.value)


def test_the_file_backend_is_never_picked_by_keyring_on_its_own() -> None:
    # Not a keyring backend class at all: keyring's automatic choice cannot fall back to it.
    assert not isinstance(FileSecrets(Path("x")), keyring.backend.KeyringBackend)


def test_without_a_keyring_the_error_names_both_fixes() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(UserError) as caught:
            TokenStore().set("personal", "x")
    finally:
        keyring.set_keyring(previous)
    message = str(caught.value)
    assert "gnome-keyring" in message
    assert '[secrets] store = "file"' in message

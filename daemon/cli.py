"""The ``interview-outreach`` command: thin commands that call services.

Every error the user can cause ends as one line per problem on stderr and an exit code;
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from interview_outreach.daemon import __version__
from interview_outreach.daemon.config import CONFIG_ENV, Config, default_config_path, load_config
from interview_outreach.daemon.errors import ConfigError, OutreachError, UserError
from interview_outreach.daemon.logging_setup import setup_logging
from interview_outreach.daemon.ports import Clock, system_clock
from interview_outreach.daemon.scrub import scrub
from interview_outreach.providers.registry import provider_named

if TYPE_CHECKING:
    from interview_outreach.daemon.passes import PassReport

# Each command imports what it needs when it runs (the `noqa: PLC0415` imports below):
# `status`, `explain` and `accounts` never load the provider client libraries, Alembic,
# the scheduler or the templates. tests/unit/test_startup_imports.py keeps it so.

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 70


# What each command does: (one line for `--help`, the sentences of `COMMAND --help`).
# The lines stay short enough for one line each in an 80-column `interview-outreach --help`.
_COMMANDS: dict[str, tuple[str, str]] = {
    "once": (
        "one pass over every account, then exit",
        "One full pass over every account: read the calendar, track interviews, and make, "
        "update or remove the drafts that are due; then exit. An account another process is "
        "working on is passed over with one line. Exit 1 when an account failed or a due "
        "draft is blocked (the other accounts are still processed), 2 on a bad configuration.",
    ),
    "run": (
        "the background service: passes on a schedule",
        "The daemon the systemd service runs: a pass per account every poll_seconds and on "
        "time for each due draft, with systemd notify and watchdog, until SIGTERM stops it "
        "cleanly. SIGHUP reloads the configuration.",
    ),
    "status": (
        "every tracked interview and its actions",
        "Every tracked interview with its outreach, follow-up and thank-you: state, due time "
        "and skip reason.",
    ),
    "explain": (
        "why an interview and its actions are as they are",
        "Why an event counts as an interview (the signals that matched), who the "
        "interviewers are and who gets the outreach, and why each action is in its state. "
        "Exit 1 when no interview, or more than one, has an id starting with ID.",
    ),
    "auth": (
        "authorize one Google or Microsoft account, once",
        "Authorize one configured Google or Microsoft account once; its tokens go to your "
        "system keyring. Google signs in in a browser (--no-browser prints the address to "
        "open); Microsoft shows a device code (--browser signs in in a browser instead).",
    ),
    "accounts": (
        "each account: authorization, last pass, last error",
        "Each configured account with its provider, address and authorization state, its "
        "last successful pass and last error, and which process works on it right now.",
    ),
    "doctor": (
        "check the set-up; say how to fix each problem",
        "Check the configuration, where tokens are kept, each account's authorization, the "
        "database, the time zone and the systemd unit: one line per check, with the fix for "
        "each failure. Exit 0 when nothing needs fixing, 1 otherwise.",
    ),
    "service": (
        "install | uninstall: the systemd user service",
        "Write or remove the systemd user unit that runs `interview-outreach run`, and say "
        "which `systemctl --user` command to run; systemctl itself is never called.",
    ),
    "templates": (
        "check: test your own draft templates",
        "Check the draft templates you put in the templates folder next to your configuration.",
    ),
    "demo": (
        "try it on a sample calendar and Maildir",
        "Build a sample local calendar and Maildir with interviews relative to now, run one "
        "pass on it, and print the status table and where the drafts are. Nothing is sent.",
    ),
}

_ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("service", "install"): (
        "write the unit (once the configuration loads)",
        "Write the systemd user unit running this installation, with your --config if you "
        "gave one, and print the `systemctl --user` line that starts it. Nothing is written "
        "while the configuration it would run with is missing or broken.",
    ),
    ("service", "uninstall"): (
        "remove the unit",
        "Remove the systemd user unit and print the `systemctl --user` line that stops the "
        "running service.",
    ),
    ("templates", "check"): (
        "list every content rule your templates break",
        "Render your templates against sample interviews and list every content rule they "
        "break (length, questions, topics never to raise). Exit 1 when any rule is broken.",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-outreach",
        description="Prepares pre-interview outreach, follow-up and thank-you drafts in your "
        "own mailbox. It never sends mail.",
        epilog="Run `interview-outreach COMMAND --help` for what a command does and its options.",
    )
    _global_options(parser, top=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )

    def command(name: str) -> argparse.ArgumentParser:
        summary, description = _COMMANDS[name]
        sub = commands.add_parser(name, help=summary, description=description)
        _global_options(sub, top=False)
        return sub

    def actions(group: argparse.ArgumentParser, name: str) -> None:
        chosen = group.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)
        for (owner, action), (summary, description) in _ACTIONS.items():
            if owner == name:
                sub = chosen.add_parser(action, help=summary, description=description)
                _global_options(sub, top=False)

    command("once")
    command("run")
    status = command("status")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    explain_cmd = command("explain")
    explain_cmd.add_argument("id", help="an interview id from `status` (a unique prefix is enough)")
    auth = command("auth")
    auth.add_argument("account", help="the account's name in the configuration")
    browser = auth.add_mutually_exclusive_group()
    browser.add_argument(
        "--no-browser",
        action="store_true",
        help="print the address to open instead of opening a browser",
    )
    browser.add_argument(
        "--browser",
        action="store_true",
        help="Microsoft: sign in in a browser instead of with a device code",
    )
    command("accounts")
    command("doctor")
    actions(command("service"), "service")
    actions(command("templates"), "templates")
    demo = command("demo")
    demo.add_argument(
        "--dir", type=Path, help="where to build the sample (default: the user data dir)"
    )
    return parser


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """``--config`` and ``-v``, accepted before the command and after it.

    After the command they default to ``SUPPRESS``: a command's parser then sets only what
    was given there, and leaves what was given before the command in place.
    """
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        default=None if top else argparse.SUPPRESS,
        help="configuration file (default: $INTERVIEW_OUTREACH_CONFIG, else "
        "~/.config/interview-outreach/config.toml)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        dest="verbose" if top else "verbose_after",
        default=0 if top else argparse.SUPPRESS,
        help="log what each pass does (-vv: also debugging details)",
    )


def _log_level(command: str, verbosity: int) -> int:
    """``-v`` logs what each pass does (INFO), ``-vv`` also debugging details. Without it
    the daemon still logs each pass; the other commands print their results themselves
    (a failed account is one line of the report), so they log only errors."""
    if verbosity >= 2:
        return logging.DEBUG
    return logging.INFO if verbosity or command == "run" else logging.ERROR


def main(argv: Sequence[str] | None = None, clock: Clock = system_clock) -> int:
    """Run the CLI; returns the exit code. ``clock`` is injected by tests."""
    args = _parser().parse_args(argv)
    verbosity = args.verbose + getattr(args, "verbose_after", 0)
    setup_logging(_log_level(args.command, verbosity))
    try:
        return _dispatch(args, clock)
    except ConfigError as error:
        _print_problems(error)
        return EXIT_USAGE
    except UserError as error:
        _print_problems(error)
        return EXIT_FAILED
    except OutreachError as error:
        print(f"interview-outreach: {scrub(str(error))}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (e.g. `status | head`); nothing left to say to it.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interview-outreach: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so in one line, the traceback only when asked
        if verbosity:
            log.error("internal error", exc_info=True)
        print(
            f"interview-outreach: internal error ({type(error).__name__}: {scrub(str(error))}); "
            "nothing more was changed. Run again with --verbose to see the details.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _print_problems(error: UserError) -> None:
    for problem in error.problems:
        print(f"interview-outreach: {scrub(problem)}", file=sys.stderr)


def _dispatch(args: argparse.Namespace, clock: Clock) -> int:
    if args.command == "demo":
        from interview_outreach.daemon.demo import run_demo  # noqa: PLC0415

        return run_demo(args.dir, clock)
    if args.command == "doctor":
        return cmd_doctor(args.config)
    if args.command == "service":
        return cmd_service(args.service_command, args.config)
    if args.command == "run":
        return cmd_run(args.config, clock)
    config = load_config(args.config, os.environ)
    if args.command == "accounts":
        return cmd_accounts(config, clock)
    if args.command == "once":
        return cmd_once(config, clock)
    if args.command == "status":
        return cmd_status(config, as_json=args.json)
    if args.command == "auth":
        return cmd_auth(config, args.account, no_browser=args.no_browser, browser=args.browser)
    if args.command == "templates":
        return cmd_templates_check(config)
    return cmd_explain(config, args.id)


def cmd_once(config: Config, clock: Clock) -> int:
    """One pass over every account; prints a line per account."""
    from interview_outreach.daemon.accounts import open_accounts  # noqa: PLC0415
    from interview_outreach.daemon.passes import run_pass  # noqa: PLC0415
    from interview_outreach.daemon.secrets import TokenStore  # noqa: PLC0415
    from interview_outreach.daemon.store.repository import Store  # noqa: PLC0415

    with Store(config.storage.url) as store:
        opened = open_accounts(
            config, TokenStore.for_config(config), message_index=store.message_index
        )
        try:
            report = run_pass(
                config, store, opened.accounts, clock(), opened.unavailable, clock=clock
            )
        finally:
            opened.close()
    show_pass_report(report)
    return EXIT_FAILED if report.failed or report.blocked else EXIT_OK


def show_pass_report(report: PassReport) -> None:
    """One line per account saying what the pass did (problems to stderr), and the same
    lines as log records: each pass at INFO, problems as warnings (seen with ``-v``)."""
    from interview_outreach.daemon.report import pass_report_lines  # noqa: PLC0415

    for problem, line in pass_report_lines(report):
        print(line, file=sys.stderr if problem else sys.stdout)
        log.log(logging.WARNING if problem else logging.INFO, "%s", line)


def cmd_status(config: Config, *, as_json: bool) -> int:
    """Print every tracked interview, as a table or as SPEC's JSON."""
    from interview_outreach.daemon.report import status_json, status_table  # noqa: PLC0415
    from interview_outreach.daemon.scrub import scrub_json  # noqa: PLC0415
    from interview_outreach.daemon.store.sqlite_reader import read_status  # noqa: PLC0415

    tz = config.profile.timezone
    view = read_status(config.storage.url)  # SQLite at the newest schema: no SQLAlchemy
    if view is not None:
        tracked = view.interviews
        accounts = [s for a in config.accounts if (s := view.accounts.get(a.name))]
    else:
        from interview_outreach.daemon.store.repository import Store  # noqa: PLC0415

        with Store(config.storage.url) as store:
            tracked = store.interviews()
            accounts = [s for a in config.accounts if (s := store.account_state(a.name))]
    if as_json:
        print(scrub_json(json.dumps(status_json(tracked, tz), indent=2, ensure_ascii=False)))
    else:
        print(scrub(status_table(tracked, accounts, tz), keep_newlines=True))
    return EXIT_OK


def cmd_auth(config: Config, name: str, *, no_browser: bool, browser: bool) -> int:
    """Authorize one account and remember that it no longer needs it."""
    from interview_outreach.daemon.secrets import TokenStore  # noqa: PLC0415
    from interview_outreach.daemon.store.records import AccountState  # noqa: PLC0415
    from interview_outreach.daemon.store.repository import Store  # noqa: PLC0415

    account = config.account(name)
    provider = provider_named(account.provider)
    if provider.no_authorization is not None:
        print(f"{name}: {provider.no_authorization}")
        return EXIT_OK
    tokens = TokenStore.for_config(config)
    tokens.ensure_usable()  # no sign-in whose tokens could not be kept
    address = provider.authorize(account, tokens, no_browser=no_browser, browser=browser, say=print)
    with Store(config.storage.url) as store:
        previous = store.account_state(name)
        state = previous or AccountState(name=name, provider=account.provider, address=address)
        store.save_account_state(replace(state, address=address, needs_auth=False, last_error=None))
    print(f"{name}: authorized as {address}. Run `interview-outreach once` to look for interviews.")
    return EXIT_OK


def cmd_templates_check(config: Config) -> int:
    """Render the user's templates against sample interviews; exit 1 on any problem."""
    from interview_outreach.daemon.template_check import check_templates, format_report  # noqa: PLC0415

    report = check_templates(config.templates_dir, config.profile, config.rules)
    print(format_report(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_explain(config: Config, interview_id: str) -> int:
    """Explain one interview by id or unique id prefix."""
    from interview_outreach.daemon.report import candidate_lines, explain  # noqa: PLC0415
    from interview_outreach.daemon.store.repository import Store  # noqa: PLC0415

    tz = config.profile.timezone
    with Store(config.storage.url) as store:
        matches = store.find(interview_id.strip())
        if not matches:
            raise UserError(
                f"no interview has the id {interview_id!r}; `interview-outreach status` lists them"
            )
        if len(matches) > 1:
            print(
                f"interview-outreach: {len(matches)} interviews have an id starting with "
                f"{interview_id!r}:",
                file=sys.stderr,
            )
            for line in candidate_lines(matches, tz):
                print(f"  {scrub(line)}", file=sys.stderr)
            print("interview-outreach: give a longer prefix of the id", file=sys.stderr)
            return EXIT_FAILED
        item = matches[0]
        audit = store.audit(item.interview.id)
    print(scrub(explain(item, audit, tz), keep_newlines=True))
    return EXIT_OK


def cmd_run(config_path: Path | None, clock: Clock) -> int:
    """The daemon, until SIGTERM/SIGINT; a bad configuration stops it before it starts."""
    from interview_outreach.daemon.runtime import Daemon  # noqa: PLC0415

    daemon = Daemon(lambda: load_config(config_path, os.environ), clock=clock)
    try:
        code = daemon.run()
    finally:
        daemon.close()
    if daemon.abandoned_pass:
        # The worker thread is still in a provider call: do not wait for it (the stop
        # deadline matters more; the next start reconciles the pass).
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)
    return code


def cmd_accounts(config: Config, clock: Clock) -> int:
    """Each account with provider, address, authorization state, last pass and error."""
    from interview_outreach.daemon import doctor  # noqa: PLC0415 (describe_accounts lives there)
    from interview_outreach.daemon.secrets import TokenStore  # noqa: PLC0415
    from interview_outreach.daemon.store.repository import Store  # noqa: PLC0415

    with Store(config.storage.url) as store:
        described = doctor.describe_accounts(config, store, TokenStore.for_config(config), clock())
        print(scrub(described, keep_newlines=True))
    return EXIT_OK


def cmd_doctor(config_path: Path | None) -> int:
    """Check the whole set-up; exit 1 when anything needs fixing."""
    from interview_outreach.daemon import doctor  # noqa: PLC0415

    checks = doctor.run_doctor(config_path)
    print(doctor.format_checks(checks))
    return EXIT_FAILED if any(check.failed for check in checks) else EXIT_OK


def cmd_service(action: str, config_path: Path | None) -> int:
    """Write or remove the systemd user unit; say which systemctl command to run."""
    from interview_outreach.daemon import unit  # noqa: PLC0415

    if action == "uninstall":
        removed = unit.uninstall()
        if removed is None:
            print(f"No service installed ({unit.unit_path()} does not exist); nothing to remove.")
            return EXIT_OK
        print(f"Removed {removed}. To stop the running service, run:\n  {unit.STOP_COMMAND}")
        return EXIT_OK
    _check_service_config(config_path)
    explicit = config_path or (
        Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV, "").strip() else None
    )
    result = unit.install(explicit.expanduser() if explicit else None)
    verb = "Replaced" if result.replaced else "Wrote"
    print(
        f"{verb} {result.path}\n  ExecStart={result.exec_start}\n"
        f"To start it now and at every login, run:\n  {unit.ENABLE_COMMAND}\n"
        "Then check with: interview-outreach doctor   (logs: journalctl --user -u interview-outreach)"
    )
    return EXIT_OK


def _check_service_config(config_path: Path | None) -> None:
    """Raise ``ConfigError`` when the configuration ``run`` would start with does not load:
    a service installed with it would only fail at every start."""
    try:
        load_config(config_path, os.environ)  # exactly as `run` loads it
    except ConfigError as error:
        source = (config_path or default_config_path(os.environ)).expanduser()
        raise ConfigError(
            [
                *error.problems,
                f"service not installed: fix {source} as said above, then run "
                "`interview-outreach service install` again",
            ]
        ) from error


if __name__ == "__main__":
    raise SystemExit(main())

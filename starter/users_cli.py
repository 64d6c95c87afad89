"""``cpj user`` and ``cpj service-key``: who may sign in to the admin tool, and which services may call the API.

Both work on the records database (``CPJ_DATABASE_URL``, or ``records.db`` in ``CPJ_DATA_DIR``), as
the web process does. A password is read from stdin only (never an argument: it would be in the
shell's history and the process list); a key is printed once and kept only as its hash.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

user_app = typer.Typer(help="Local accounts (staff number, roles, password) for signing in without an identity provider.",
                       no_args_is_help=True)
key_app = typer.Typer(help="Keys for services calling the API (Authorization: Bearer KEY), each for named event types.",
                      no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _store():  # noqa: ANN202  (imported late: the other commands do not open the records database)
    from activities.db import make_engine
    from starter.accounts import IdentityStore

    return IdentityStore(make_engine())


def known_event_types() -> set[str]:
    """Every event type the API takes: what a key's ``--may`` may name."""
    from domain.complaints import COMPLAINT_EVENT_TYPES
    from domain.conference import CONFERENCE_EVENTS
    from domain.events import EVENT_TYPES, FEED_EVENTS, StrategyDiscussion

    models = (StrategyDiscussion, *EVENT_TYPES.values(), *FEED_EVENTS, *COMPLAINT_EVENT_TYPES.values(), *CONFERENCE_EVENTS)
    return {model.model_fields["type"].default for model in models}


@user_app.command("add")
def user_add(
    staff_ref: Annotated[str, typer.Argument(help="the person's staff number (never a name)")],
    role: Annotated[list[str], typer.Option("--role", help="a role (repeat for several): "
                                            "operations_staff, lead_social_worker, team_manager, conference_chair, "
                                            "service_manager, supervisor, register_enquirer, administrator")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin (required)")] = False,
) -> None:
    """Add a local account: `printf '%s' "$PASSWORD" | cpj user add STAFF-0042 --role team_manager --password-stdin`."""
    from starter.accounts import AccountError

    if not password_stdin:
        raise _fail("give the password on stdin with --password-stdin (never as an argument)")
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        account = _store().add_account(staff_ref, role, password)
    except AccountError as err:
        raise _fail(str(err)) from None
    typer.echo(f"account {account.staff_ref} added: {', '.join(account.roles)}")


@user_app.command("list")
def user_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every local account: staff number, roles, whether it may sign in."""
    rows = [{"staff_ref": a.staff_ref, "roles": a.roles, "disabled": a.disabled, "created_at": a.created_at.isoformat()}
            for a in _store().accounts()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no local accounts")
    for row in rows:
        state = "disabled" if row["disabled"] else "active"
        typer.echo(f"{row['staff_ref']}  {state}  {', '.join(row['roles'])}")


@user_app.command("disable")
def user_disable(staff_ref: Annotated[str, typer.Argument()]) -> None:
    """Stop an account signing in, and end its sessions now."""
    from starter.accounts import AccountError

    try:
        _store().disable_account(staff_ref)
    except AccountError as err:
        raise _fail(str(err)) from None
    typer.echo(f"account {staff_ref} disabled; its sessions have ended")


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Argument(help="the service, e.g. school-absence-feed")],
    may: Annotated[list[str], typer.Option("--may", help="an event type the service may send (repeat); "
                                           "see cpj journey event-types")],
) -> None:
    """Make a key; it is printed once (on stdout, alone), kept only as its hash."""
    from starter.accounts import AccountError

    unknown = sorted(set(may) - known_event_types())
    if unknown:
        raise _fail(f"no event type {', '.join(unknown)}; see cpj journey event-types and cpj complaint event-types")
    try:
        key = _store().create_service_key(name, may)
    except AccountError as err:
        raise _fail(str(err)) from None
    typer.echo(f"key {name} created; it may send: {', '.join(sorted(set(may)))}. "
               "It is shown this once: give it to the service now.", err=True)
    typer.echo(key)


@key_app.command("list")
def key_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key's name, what it may send and whether it is revoked (never the key)."""
    rows = [{"name": k.name, "may_send": k.may_send, "created_at": k.created_at.isoformat(),
             "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None} for k in _store().service_keys()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("no service keys")
    for row in rows:
        state = f"revoked {row['revoked_at'][:10]}" if row["revoked_at"] else "active"
        typer.echo(f"{row['name']}  {state}  {', '.join(row['may_send'])}")


@key_app.command("revoke")
def key_revoke(name: Annotated[str, typer.Argument()]) -> None:
    """Refuse the key from now on (kept, so its name is not reused by mistake)."""
    from starter.accounts import AccountError

    try:
        _store().revoke_service_key(name)
    except AccountError as err:
        raise _fail(str(err)) from None
    typer.echo(f"key {name} revoked")

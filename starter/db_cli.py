"""``cpj db``: the records database's schema, under Alembic (activities/migrations).

``upgrade`` is what deployments run (the compose file's ``migrate`` service; ``cpj up`` and every
worker also upgrade at start); ``current`` says where a database stands; ``check`` and ``revision``
are for developers changing the models. The database's URL is never printed: it may hold a password.
"""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

db_app = typer.Typer(help="The records database's schema: upgrade it, see its revision, add a revision.",
                     no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    sql: Annotated[bool, typer.Option("--sql", help="print the SQL from an empty database to the newest "
                                      "revision instead of running it (for a DBA to review or run)")] = False,
) -> None:
    """Bring CPJ_DATABASE_URL's schema to the newest revision, waiting for the database if it is not up yet.

    A database made before migrations is adopted when its tables are the first revision's.
    """
    from alembic import command

    from activities import migrations
    from activities.db import wait_for_database
    from activities.log import configure_logging

    if sql:
        # Only the dialect matters here: nothing is opened (nor a data folder made for SQLite's default).
        command.upgrade(migrations.config(url=os.environ.get("CPJ_DATABASE_URL") or "sqlite://"), "head", sql=True)
        return
    configure_logging()
    try:
        engine = wait_for_database()
    except migrations.SchemaMismatch as refused:
        typer.echo(f"error: {refused}", err=True)
        raise typer.Exit(code=2) from None
    engine.dispose()
    # wait_for_database logged what changed; this line is for the person at the terminal.
    typer.echo(f"records database at revision {migrations.head()} (the newest)")


@db_app.command("current")
def db_current(as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """The revision CPJ_DATABASE_URL's schema is at, and the newest one; changes nothing."""
    from activities import migrations
    from activities.db import bare_engine

    engine = bare_engine()
    try:
        current, before_migrations = migrations.current(engine), migrations.made_before_migrations(engine)
    finally:
        engine.dispose()
    head = migrations.head()
    if as_json:
        typer.echo(json.dumps({"current": current, "head": head, "made_before_migrations": before_migrations}))
    elif before_migrations:
        typer.echo(f"none: tables made before migrations (cpj db upgrade adopts them); newest {head}")
    elif current is None:
        typer.echo(f"none: no records schema yet (cpj db upgrade creates it); newest {head}")
    else:
        typer.echo(f"{current}" + (" (the newest)" if current == head else f"; newest {head}: run cpj db upgrade"))


@db_app.command("check")
def db_check() -> None:
    """Exit 1, naming each difference, when the models have something the migrations do not (or the reverse)."""
    import tempfile
    from pathlib import Path

    from activities import migrations
    from activities.db import make_engine

    with tempfile.TemporaryDirectory(prefix="cpj-check-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            found = migrations.drift(engine)
        finally:
            engine.dispose()
    if found:
        typer.echo("the models and the migrations disagree (add a revision: cpj db revision -m \"...\"):", err=True)
        for difference in found:
            typer.echo(f"  {difference}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"the models and the migrations agree (newest revision {migrations.head()})")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="what the revision does, e.g. \"add the review table\"")],
) -> None:
    """For developers: write the next revision from what the models have that the migrations lack. Read it, then commit it."""
    from activities import migrations

    path = migrations.new_revision(message)
    typer.echo(str(path))

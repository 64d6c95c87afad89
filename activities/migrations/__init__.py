"""The records schema under Alembic: the models' tables are created and changed by revisions, never ``create_all``.

Configured in code (no alembic.ini): the revisions ship inside the package, so an upgrade works from
the installed wheel and from any working folder. ``cpj db`` is the command line over these functions.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine

from activities.log import get_logger
from activities.migrations import baseline

HERE = Path(__file__).resolve().parent
# Any fixed number: the PostgreSQL advisory lock under which processes that start together take turns to upgrade.
UPGRADE_LOCK = 0x63706A_5C4E


class SchemaMismatch(RuntimeError):
    """The database's tables are not what its revision (or, unversioned, the first revision) says they are."""


@dataclass(frozen=True)
class Upgraded:
    before: str | None  # None: no revision recorded (a new database, or one made before migrations)
    after: str
    adopted: bool = False  # tables made by create_all before migrations, found equal to revision 0001 and stamped


def config(connection: Connection | None = None, *, url: str | None = None) -> Config:
    settings = Config()
    settings.set_main_option("script_location", str(HERE))
    # "0002_add_the_review_table.py": revisions sort in the order they apply.
    settings.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url:
        settings.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    settings.attributes["connection"] = connection
    return settings


def head() -> str:
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None, "no revisions in activities/migrations/versions"
    return found


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _current(connection)


def made_before_migrations(engine: Engine) -> bool:
    """Our tables are there but no revision is recorded: a database made by ``create_all``."""
    with engine.connect() as connection:
        return _current(connection) is None and _unversioned_tables(connection)


def upgrade(engine: Engine) -> Upgraded:
    """Bring the records schema to the newest revision; quick and changes nothing when it is there already.

    A database made by ``create_all`` before migrations is adopted: stamped at revision 0001 when its
    tables are exactly that revision's (then upgraded like any other), refused when they differ.
    """
    target = head()
    with engine.connect() as connection:
        if _current(connection) == target:
            # The usual start: no lock taken, so a worker starts while another program holds the database.
            return Upgraded(target, target)
    with engine.connect() as connection:
        _take_turns(connection)
        before = _current(connection)  # again: another process may have upgraded while we waited
        adopted = False
        if before is None and _unversioned_tables(connection):
            found = differences(connection, baseline.metadata(), only_its_tables=True)
            if found:
                raise SchemaMismatch(
                    "the records database has tables made before migrations that are not revision "
                    f"{baseline.REVISION}'s, so it was not adopted: {'; '.join(found)}. Make them match "
                    f"(activities/migrations/baseline.py), then run cpj db upgrade again."
                )
            command.stamp(config(connection), baseline.REVISION)
            adopted = True
        if _current(connection) != target:
            command.upgrade(config(connection), "head")
        after = _current(connection)
        connection.commit()
    assert after is not None
    upgraded = Upgraded(before, after, adopted)
    if adopted or before != after:
        get_logger(__name__).info("records schema upgraded", from_revision=before, to_revision=after, adopted=adopted)
    return upgraded


def drift(engine: Engine, metadata: MetaData | None = None) -> list[str]:
    """How the database (at some revision) differs from the models: empty when they agree."""
    from sqlmodel import SQLModel

    import activities.db  # noqa: F401  (the models put their tables on SQLModel.metadata)

    with engine.connect() as connection:
        return differences(connection, metadata if metadata is not None else SQLModel.metadata)


def differences(connection: Connection, metadata: MetaData, *, only_its_tables: bool = False) -> list[str]:
    """Alembic's comparison of the database with ``metadata``, one line per difference (names and types only)."""
    options: dict[str, Any] = {"compare_type": True}
    if only_its_tables:
        ours = set(metadata.tables)
        options["include_name"] = lambda name, kind, _parents: kind != "table" or name in ours
    context = MigrationContext.configure(connection, opts=options)
    return [_describe(change) for change in _flattened(compare_metadata(context, metadata))]


def new_revision(message: str) -> Path:
    """A revision for whatever the models have that the migrations lack, written beside the others.

    For developers, in a source checkout: the models are compared with a scratch SQLite database
    upgraded to head, so no records database is needed. Read (and edit) what it wrote.
    """
    from activities.db import bare_engine

    script = ScriptDirectory.from_config(config())
    number = 1 + max((int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()), default=0)
    with tempfile.TemporaryDirectory(prefix="cpj-revision-") as scratch:
        engine = bare_engine(f"sqlite:///{Path(scratch) / 'head.db'}")
        try:
            upgrade(engine)
            with engine.begin() as connection:
                written = command.revision(
                    config(connection), message=message, autogenerate=True, rev_id=f"{number:04d}"
                )
        finally:
            engine.dispose()
    scripts = written if isinstance(written, list) else [written]
    return Path(scripts[0].path)


def _take_turns(connection: Connection) -> None:
    """Hold the database's lock for upgrades until this transaction ends: processes starting together take turns."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
    elif connection.dialect.name == "sqlite":
        # The write lock now (waiting up to the busy timeout), and the DDL inside this transaction:
        # the driver would otherwise run each CREATE on its own.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _unversioned_tables(connection: Connection) -> bool:
    return bool(set(inspect(connection).get_table_names()) & set(baseline.metadata().tables))


def _flattened(changes: Iterable[Any]) -> Iterable[tuple]:
    for change in changes:
        # Column modifications come as a list of tuples, one per attribute changed.
        yield from (change if isinstance(change, list) else [change])


_TABLE_CHANGES: dict[str, Callable[[Any], str]] = {
    "add_table": lambda table: f"table {table.name} is missing",
    "remove_table": lambda table: f"table {table.name} is not in the models",
    "add_index": lambda index: f"index {index.name} on {index.table.name} is missing",
    "remove_index": lambda index: f"index {index.name} on {index.table.name} is not in the models",
}


def _describe(change: tuple) -> str:
    kind = change[0]
    if kind in _TABLE_CHANGES:
        return _TABLE_CHANGES[kind](change[1])
    if kind in ("add_column", "remove_column"):
        _, _schema, table, column = change
        return f"column {table}.{column.name} " + ("is missing" if kind == "add_column" else "is not in the models")
    if kind.startswith("modify_"):
        _, _schema, table, column, _existing, in_database, in_models = change
        return f"column {table}.{column}: {kind.removeprefix('modify_')} {in_database!r} in the database, {in_models!r} in the models"
    return f"{kind}: " + ", ".join(str(getattr(part, "name", part)) for part in change[1:] if part is not None)

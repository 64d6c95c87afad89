"""The records schema is Alembic's: a new database is migrated, an old one adopted, and the models never drift.

A council's records database made before migrations (by ``create_all``) upgrades in place; the
migrations make exactly the tables ``create_all`` made; and a model changed without a revision
(or a revision the models do not have) is caught, on SQLite and on a real PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from structlog.testing import capture_logs
from typer.testing import CliRunner

from activities import migrations
from activities.db import JourneyRecord, NotificationLog, bare_engine, make_engine
from starter.cli import app
from tests.postgres import postgres_server

# What SQLModel.metadata.create_all made before migrations (captured from it, unchanged since):
# the records databases councils already have.
MADE_BEFORE_MIGRATIONS = {
    "sqlite": [
        'CREATE TABLE journey_record (\n\t"key" VARCHAR NOT NULL, \n\tcase_ref VARCHAR NOT NULL, \n\tworkflow_id VARCHAR '
        'NOT NULL, \n\tkind VARCHAR NOT NULL, \n\toccurred_on DATE NOT NULL, \n\tsummary VARCHAR NOT NULL, \n\tdetails '
        'JSON, \n\twritten_at DATETIME NOT NULL, \n\tPRIMARY KEY ("key")\n)',
        "CREATE INDEX ix_journey_record_case_ref ON journey_record (case_ref)",
        "CREATE INDEX ix_journey_record_kind ON journey_record (kind)",
        "CREATE TABLE notification (\n\treference VARCHAR NOT NULL, \n\tcase_ref VARCHAR NOT NULL, \n\tworkflow_id "
        "VARCHAR NOT NULL, \n\ttemplate VARCHAR NOT NULL, \n\trecipient_role VARCHAR NOT NULL, \n\tsubject VARCHAR "
        "NOT NULL, \n\tstatus VARCHAR NOT NULL, \n\tsent_at DATETIME, \n\tPRIMARY KEY (reference)\n)",
        "CREATE INDEX ix_notification_case_ref ON notification (case_ref)",
    ],
    "postgresql": [
        """CREATE TABLE journey_record (
            key VARCHAR NOT NULL, case_ref VARCHAR NOT NULL, workflow_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            occurred_on DATE NOT NULL, summary VARCHAR NOT NULL, details JSON,
            written_at TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (key))""",
        "CREATE INDEX ix_journey_record_case_ref ON journey_record (case_ref)",
        "CREATE INDEX ix_journey_record_kind ON journey_record (kind)",
        """CREATE TABLE notification (
            reference VARCHAR NOT NULL, case_ref VARCHAR NOT NULL, workflow_id VARCHAR NOT NULL,
            template VARCHAR NOT NULL, recipient_role VARCHAR NOT NULL, subject VARCHAR NOT NULL,
            status VARCHAR NOT NULL, sent_at TIMESTAMP WITH TIME ZONE, PRIMARY KEY (reference))""",
        "CREATE INDEX ix_notification_case_ref ON notification (case_ref)",
    ],
}
OUR_TABLES = {"journey_record", "notification"}


@pytest.fixture(scope="module")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@contextmanager
def a_new_postgres_database(server: str) -> Iterator[str]:
    name = f"records_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """An empty records database of its own, on SQLite or on the module's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
    else:
        with a_new_postgres_database(request.getfixturevalue("postgres_server_url")) as url:
            yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    engine = bare_engine(database_url)
    yield engine
    engine.dispose()


def made_the_old_way(engine: Engine) -> None:
    with engine.begin() as connection:
        for statement in MADE_BEFORE_MIGRATIONS[engine.dialect.name]:
            connection.execute(text(statement))


def a_record(key: str) -> JourneyRecord:
    return JourneyRecord(key=key, case_ref="CASE-0001", workflow_id="cpj-CASE-0001", kind="icpc_held",
                         occurred_on=date(2027, 1, 8), summary="ICPC held: plan",
                         details={"decision": "plan"}, written_at=datetime(2027, 1, 8, 12, tzinfo=UTC))


def schema(engine: Engine) -> dict[str, object]:
    """Each of our tables as the database describes it: columns (type, nullable), primary key, indexes."""
    found = inspect(engine)
    return {
        table: (
            [(column["name"], repr(column["type"]), column["nullable"]) for column in found.get_columns(table)],
            found.get_pk_constraint(table)["constrained_columns"],
            sorted((index["name"], tuple(index["column_names"]), bool(index["unique"]))
                   for index in found.get_indexes(table)),
        )
        for table in sorted(OUR_TABLES)
    }


def test_a_new_records_database_is_made_by_the_migrations_and_matches_the_models(database: Engine) -> None:
    assert migrations.current(database) is None

    with capture_logs() as logs:
        upgraded = migrations.upgrade(database)

    assert upgraded == migrations.Upgraded(before=None, after=migrations.head())
    assert migrations.current(database) == migrations.head()
    assert OUR_TABLES <= set(inspect(database).get_table_names())
    assert migrations.drift(database) == []
    assert [entry["to_revision"] for entry in logs if entry["event"] == "records schema upgraded"] == [migrations.head()]


def test_every_start_upgrades_and_a_second_start_changes_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.add(a_record("cpj-CASE-0001/icpc-1/icpc_held"))
        session.commit()

    with capture_logs() as logs:
        again = make_engine(database_url)

    assert migrations.upgrade(again) == migrations.Upgraded(before=migrations.head(), after=migrations.head())
    assert not [entry for entry in logs if entry["event"] == "records schema upgraded"]
    with Session(again) as session:
        assert [row.key for row in session.exec(select(JourneyRecord))] == ["cpj-CASE-0001/icpc-1/icpc_held"]
    engine.dispose()
    again.dispose()


def test_the_first_revision_makes_exactly_the_tables_create_all_made(request, database_url: str, tmp_path: Path) -> None:
    migrated = make_engine(database_url)
    with ExitStack() as stack:
        stack.callback(migrated.dispose)
        if migrated.dialect.name == "sqlite":
            old_url = f"sqlite:///{tmp_path / 'old-way.db'}"
        else:
            old_url = stack.enter_context(a_new_postgres_database(request.getfixturevalue("postgres_server_url")))
        old_way = bare_engine(old_url)
        stack.callback(old_way.dispose)
        made_the_old_way(old_way)

        assert schema(migrated) == schema(old_way)
        if migrated.dialect.name == "sqlite":
            # SQLite keeps each statement as it was given: the very statements create_all gave.
            with migrated.connect() as connection:
                # Only the first revision's tables: later revisions add their own after them.
                statements = connection.execute(text(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'alembic_version' "
                    "AND tbl_name IN ('journey_record', 'notification') ORDER BY rowid"
                )).scalars().all()
            assert statements == MADE_BEFORE_MIGRATIONS["sqlite"]


def test_a_council_database_made_before_migrations_is_adopted_in_place(database: Engine) -> None:
    made_the_old_way(database)
    with Session(database) as session:
        session.add(a_record("cpj-CASE-0001/icpc-1/icpc_held"))
        session.add(NotificationLog(reference="cpj-CASE-0001/letter-1", case_ref="CASE-0001",
                                    workflow_id="cpj-CASE-0001", template="icpc_invitation",
                                    recipient_role="parent", subject="Invitation", status="sent",
                                    sent_at=datetime(2027, 1, 5, 9, tzinfo=UTC)))
        session.commit()
    assert migrations.made_before_migrations(database)

    with capture_logs() as logs:
        upgraded = migrations.upgrade(database)

    assert upgraded == migrations.Upgraded(before=None, after=migrations.head(), adopted=True)
    assert [entry["adopted"] for entry in logs if entry["event"] == "records schema upgraded"] == [True]
    assert not migrations.made_before_migrations(database)
    assert migrations.drift(database) == []
    with Session(database) as session:
        assert [row.key for row in session.exec(select(JourneyRecord))] == ["cpj-CASE-0001/icpc-1/icpc_held"]
        assert [row.status for row in session.exec(select(NotificationLog))] == ["sent"]


def test_old_tables_that_are_not_the_first_revisions_are_refused_not_stamped(database: Engine) -> None:
    made_the_old_way(database)
    with database.begin() as connection:  # someone dropped a column by hand
        connection.execute(text("DROP INDEX ix_journey_record_kind"))
        connection.execute(text("ALTER TABLE journey_record DROP COLUMN kind"))

    with pytest.raises(migrations.SchemaMismatch) as refused:
        make_engine(str(database.url.render_as_string(hide_password=False)))

    assert "column journey_record.kind is missing" in str(refused.value)
    assert "index ix_journey_record_kind on journey_record is missing" in str(refused.value)
    assert migrations.current(database) is None and migrations.made_before_migrations(database)


def test_workers_starting_together_take_turns_to_upgrade(database_url: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        engines = list(pool.map(lambda _: make_engine(database_url), range(4)))

    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [
            migrations.head()]
    for engine in engines:
        engine.dispose()


def models_with(*changes) -> sa.MetaData:
    """A copy of the models' metadata, changed as a developer might change a model."""
    copy = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(copy)
    for change in changes:
        change(copy)
    return copy


def a_review_date_on_records(metadata: sa.MetaData) -> None:
    metadata.tables["journey_record"].append_column(sa.Column("reviewed_on", sa.Date(), nullable=True))


def a_review_table(metadata: sa.MetaData) -> None:
    sa.Table("review", metadata, sa.Column("id", sa.Integer(), primary_key=True),
             sa.Column("case_ref", sa.String(), nullable=False))


def test_a_model_changed_without_a_revision_is_caught(database: Engine) -> None:
    migrations.upgrade(database)

    assert migrations.drift(database) == []
    assert sorted(migrations.drift(database, models_with(a_review_date_on_records, a_review_table))) == [
        "column journey_record.reviewed_on is missing",
        "table review is missing",
    ]


def test_a_revision_the_models_do_not_have_is_caught(database: Engine) -> None:
    migrations.upgrade(database)
    with database.begin() as connection:  # as a revision adding a column would, with the model left behind
        connection.execute(text("ALTER TABLE notification ADD COLUMN bounced_at DATE"))

    assert migrations.drift(database) == ["column notification.bounced_at is not in the models"]


def test_a_developers_revision_brings_the_schema_to_the_changed_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The developer's loop, on a copy of the migrations: change a model, cpj db revision, upgrade.
    copy = tmp_path / "migrations"
    shutil.copytree(migrations.HERE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "HERE", copy)
    changed = models_with(a_review_date_on_records, a_review_table)
    monkeypatch.setattr(SQLModel, "metadata", changed)

    before = migrations.head()
    following = f"{int(before) + 1:04d}"

    written = migrations.new_revision("add the review date and table")

    assert written.parent == copy / "versions" and written.name == f"{following}_add_the_review_date_and_table.py"
    source = written.read_text()
    assert f"down_revision = '{before}'" in source and "reviewed_on" in source and "'review'" in source
    engine = bare_engine(f"sqlite:///{tmp_path / 'records.db'}")
    assert migrations.upgrade(engine).after == following
    assert migrations.drift(engine, changed) == []
    engine.dispose()


def test_cpj_db_upgrades_and_says_where_the_database_stands_without_its_password(
    postgres_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server trusts every connection, so any password gets in; none may be printed.
    monkeypatch.setenv("CPJ_DATABASE_URL", postgres_server_url.replace("cpj@", "cpj:s3cret-pw@"))
    monkeypatch.setattr("activities.log.configure_logging", lambda *args, **kwargs: None)
    runner = CliRunner()

    before = runner.invoke(app, ["db", "current"])
    upgraded = runner.invoke(app, ["db", "upgrade"])
    after = runner.invoke(app, ["db", "current", "--json"])
    sql = runner.invoke(app, ["db", "upgrade", "--sql"])
    check = runner.invoke(app, ["db", "check"])

    try:
        assert before.exit_code == 0 and before.output.startswith("none: no records schema yet"), before.output
        assert upgraded.exit_code == 0 and f"at revision {migrations.head()}" in upgraded.output, upgraded.output
        assert after.output.strip() == (
            f'{{"current": "{migrations.head()}", "head": "{migrations.head()}", "made_before_migrations": false}}')
        assert "CREATE TABLE journey_record" in sql.output and "TIMESTAMP WITH TIME ZONE" in sql.output
        assert check.exit_code == 0, check.output
        for result in (before, upgraded, after, sql, check):
            assert "s3cret" not in result.output
    finally:
        engine = bare_engine(postgres_server_url)
        with engine.begin() as connection:  # the server lives for the module: leave it empty
            for table in inspect(connection).get_table_names():  # every revision's tables, not only the first's
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        engine.dispose()


def test_cpj_db_upgrade_refuses_a_database_it_cannot_adopt_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = bare_engine(f"sqlite:///{tmp_path / 'records.db'}")
    made_the_old_way(engine)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE notification DROP COLUMN sent_at"))
    engine.dispose()
    monkeypatch.setenv("CPJ_DATABASE_URL", f"sqlite:///{tmp_path / 'records.db'}")
    monkeypatch.setattr("activities.log.configure_logging", lambda *args, **kwargs: None)

    result = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 2
    assert result.output.startswith("error: the records database has tables made before migrations")
    assert "column notification.sent_at is missing" in result.output

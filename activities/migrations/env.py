"""Alembic's entry point for the records schema: the models' metadata, on the connection we were given.

``activities.migrations`` passes an open connection (inside its transaction and, on PostgreSQL,
its lock); without one (Alembic's own command line) the records database's URL is used.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import activities.db  # noqa: F401  (the models put their tables on SQLModel.metadata)

# SQLite cannot alter a column in place: batch operations copy the table there, and are plain ALTERs elsewhere.
OPTIONS = {"target_metadata": SQLModel.metadata, "render_as_batch": True, "compare_type": True}


def run() -> None:
    config = context.config
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url") or activities.db.database_url(),
                          literal_binds=True, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = activities.db.bare_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **OPTIONS)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run()

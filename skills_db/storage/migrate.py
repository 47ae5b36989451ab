"""Apply the Alembic migrations shipped in ``skills_db/storage/migrations``.

Every command opens the store, and so comes here; a database already at the latest revision
(nearly always) is told apart with one query, without importing Alembic (0.1 s). Revisions are
named by their number (``0009_anonymous_needs.py`` holds revision ``0009``, one after the
other), so the latest is the highest: tests/test_store.py checks it against Alembic's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def latest_revision() -> str:
    """The highest revision shipped, from the files' names."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def at_latest(engine: Engine) -> bool:
    """Whether the database is at the latest revision (False when it has no schema yet)."""
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    except sa.exc.DBAPIError:  # no such table: a new database
        return False
    return found == [latest_revision()]


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    if revision == "head" and at_latest(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Rebuilding a table (SQLite's only way to change one) drops it, which foreign keys
            # would refuse; SQLite's own procedure: keys off outside the transaction, rebuild,
            # check every key before committing.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                command.upgrade(config, revision)
                after = MigrationContext.configure(connection).get_current_revision()
                # Only a migration that ran can have broken a key: the check reads every
                # table (seconds on a large database, at every start of every command).
                if sqlite and after != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()

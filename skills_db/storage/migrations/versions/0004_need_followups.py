"""need follow-ups: waiting requests, the asker's follow-up gate

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import skills_db.storage.models


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Should SQLite recreate a table, its ids must still never be reused (see models.AUTOINCREMENT).
KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table('need', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('notified_at', skills_db.storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('exhausted_told', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('solved_asked', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('ask', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('due_at', skills_db.storage.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('wait_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ask', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('wait_reason')
        batch_op.drop_column('due_at')
    with op.batch_alter_table('need', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('solved_asked')
        batch_op.drop_column('exhausted_told')
        batch_op.drop_column('notified_at')

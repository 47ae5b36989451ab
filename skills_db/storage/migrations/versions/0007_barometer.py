"""the barometer: help threads keep the skills recognised in their question (past demand); who
helped on a skill when, read from one index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Should SQLite recreate a table, its ids must still never be reused (see models.AUTOINCREMENT).
KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # NULL: imported before this column existed; the barometer recognises their skills when read.
    with op.batch_alter_table('helpthread', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('skills', sa.JSON(), nullable=True))
    op.create_index(
        'ix_skillclaim_skill_time', 'skillclaim', ['skill_id', 'created_at', 'source', 'person_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_skillclaim_skill_time', table_name='skillclaim')
    with op.batch_alter_table('helpthread', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('skills')

"""data rights: erased identities kept as salted hashes, thanks from an erased person kept
anonymised (from_person_id NULL), and the `optout dms` choice

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Should SQLite recreate a table, its ids must still never be reused (see models.AUTOINCREMENT).
KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        'erasedidentity',
        sa.Column('hash', sa.String(), nullable=False),
        sa.Column('erased_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('hash'),
    )
    with op.batch_alter_table('person', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('dms_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('thanks', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.alter_column('from_person_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Anonymised thanks have nobody to come from: they cannot go back to a NOT NULL column.
    op.execute("DELETE FROM thanks WHERE from_person_id IS NULL")
    with op.batch_alter_table('thanks', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.alter_column('from_person_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('person', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('dms_opt_out')
    op.drop_table('erasedidentity')

"""help from every path, public or not, and weekly shout-outs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import skills_db.storage.models


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Should SQLite recreate a table, its ids must still never be reused (see models.AUTOINCREMENT).
KEEP = {"sqlite_autoincrement": True}


def upgrade() -> None:
    with op.batch_alter_table('thanks', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='thanks')
        )
        batch_op.add_column(sa.Column('skills', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_unique_constraint('uq_thanks_ref', ['ref'])
    with op.batch_alter_table('need', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('helpthread', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.true()))
    # Live threads come from needs, which were not known to be public until now: private.
    op.execute("UPDATE helpthread SET public = false WHERE source = 'live'")
    op.create_table(
        'shoutout',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('week', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('since', skills_db.storage.models.UTCDateTime(), nullable=False),
        sa.Column('until', skills_db.storage.models.UTCDateTime(), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('by_person_id', sa.Integer(), nullable=True),
        sa.Column('created_at', skills_db.storage.models.UTCDateTime(), nullable=False),
        sa.Column('posted_at', skills_db.storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['by_person_id'], ['person.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('channel', 'week'),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'shoutoutpick',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shoutout_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('helped', sa.Integer(), nullable=False),
        sa.Column('newcomers', sa.Integer(), nullable=False),
        sa.Column('skills', sa.JSON(), nullable=False),
        sa.Column('answered_at', skills_db.storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['person.id']),
        sa.ForeignKeyConstraint(['shoutout_id'], ['shoutout.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('shoutout_id', 'person_id'),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('shoutoutpick', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shoutoutpick_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shoutoutpick_shoutout_id'), ['shoutout_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shoutoutpick', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shoutoutpick_shoutout_id'))
        batch_op.drop_index(batch_op.f('ix_shoutoutpick_person_id'))
    op.drop_table('shoutoutpick')
    op.drop_table('shoutout')
    with op.batch_alter_table('helpthread', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('need', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_column('public')
    with op.batch_alter_table('thanks', schema=None, table_kwargs=KEEP) as batch_op:
        batch_op.drop_constraint('uq_thanks_ref', type_='unique')
        batch_op.drop_column('ref')
        batch_op.drop_column('public')
        batch_op.drop_column('skills')
        batch_op.drop_column('kind')

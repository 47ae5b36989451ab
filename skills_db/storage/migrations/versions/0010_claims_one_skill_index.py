"""claims: one index led by skill_id, not two

ix_skillclaim_skill_time (skill_id, created_at, source, person_id) answers every lookup by
skill that ix_skillclaim_skill_id did, the foreign key's checks included; keeping both slowed
every write of a claim (on PostgreSQL, a COPY of 692,625 claims with the table's indexes took
5.3 s with both, 3.9 s with the one).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_skillclaim_skill_id', table_name='skillclaim')


def downgrade() -> None:
    op.create_index('ix_skillclaim_skill_id', 'skillclaim', ['skill_id'], unique=False)

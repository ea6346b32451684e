"""Superseded runs: one current run per partner x task x model in an exercise.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_runs_current", ["exercise_id", "institute_id", "task_id", "model_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_current")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("superseded_by")

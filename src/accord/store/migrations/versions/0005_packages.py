"""Test packages of exercises.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exercise_packages",
        sa.Column(
            "exercise_id", sa.String(length=64), sa.ForeignKey("exercises.id"), primary_key=True
        ),
        sa.Column("digest", sa.String(length=71), nullable=False),
        sa.Column("sha256", sa.String(length=71), nullable=False),
        sa.Column("task_code", sa.JSON(), nullable=False),
        sa.Column("signers", sa.JSON(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=40), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("exercise_packages")

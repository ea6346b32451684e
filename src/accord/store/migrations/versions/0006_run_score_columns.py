"""Per-run columnar scores for the analysis.

Runs stored before this revision have none: the hub builds them from their rows on the first
read of results (and stores them then).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_score_columns",
        sa.Column("run_id", sa.String(length=40), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=71), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_score_columns")

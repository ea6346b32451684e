"""Webhooks and their durable outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "institute_id", sa.String(length=64), sa.ForeignKey("institutes.id"), nullable=False
        ),
        sa.Column("exercise_id", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=80), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("disabled_at", _TIME, nullable=True),
    )
    op.create_index("ix_webhooks_institute_id", "webhooks", ["institute_id"])
    op.create_table(
        "webhook_outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.String(length=40), sa.ForeignKey("webhooks.id"), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.Column("given_up_at", _TIME, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_webhook_outbox_webhook_id", "webhook_outbox", ["webhook_id"])
    op.create_index("ix_webhook_outbox_due", "webhook_outbox", ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("webhooks")

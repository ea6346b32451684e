"""Initial schema: institutes, members, tokens, keys, exercises, submissions, runs, scores,
ledger and audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 12:18:10.378126
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=True),
        sa.Column("institute_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)

    op.create_table(
        "institutes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ledger",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=71), nullable=False),
        sa.Column("hash", sa.String(length=71), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "institute_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("institute_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
        ),
        sa.PrimaryKeyConstraint("key_id"),
    )
    with op.batch_alter_table("institute_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_institute_keys_institute_id"), ["institute_id"], unique=False
        )

    op.create_table(
        "members",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("institute_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_institute_id"), ["institute_id"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_member_id"), ["member_id"], unique=False)

    op.create_table(
        "exercises",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("protocol_id", sa.String(length=71), nullable=False),
        sa.Column("protocol_yaml", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("embargo_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exercises_protocol_id"), ["protocol_id"], unique=False)

    op.create_table(
        "exercise_partners",
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("institute_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
        ),
        sa.PrimaryKeyConstraint("exercise_id", "institute_id"),
    )
    op.create_table(
        "secondments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("host_institute_id", sa.String(length=64), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["members.id"],
        ),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["host_institute_id"],
            ["institutes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("secondments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_secondments_host_institute_id"), ["host_institute_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_secondments_member_id"), ["member_id"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("institute_id", sa.String(length=64), nullable=False),
        sa.Column("bundle_sha256", sa.String(length=71), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitter_id", sa.String(length=40), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitter_id"],
            ["members.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exercise_id", "bundle_sha256"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_submissions_exercise_id"), ["exercise_id"], unique=False
        )

    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=40), nullable=False),
        sa.Column("institute_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("log_sha256", sa.String(length=71), nullable=False),
        sa.Column("dataset_digest", sa.String(length=71), nullable=False),
        sa.Column("task_version", sa.String(length=64), nullable=False),
        sa.Column("generate_config", sa.JSON(), nullable=False),
        sa.Column("disclosure", sa.String(length=16), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["institute_id"],
            ["institutes.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_exercise_id"), ["exercise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_runs_submission_id"), ["submission_id"], unique=False)

    op.create_table(
        "deviations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("exercise_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exercise_id"],
            ["exercises.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deviations_exercise_id"), ["exercise_id"], unique=False
        )

    op.create_table(
        "sample_scores",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("sample_id", sa.String(length=200), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("scorer", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("cluster", sa.String(length=200), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.create_index("ix_sample_scores_run_id", ["run_id", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("sample_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_scores_run_id")

    op.drop_table("sample_scores")
    with op.batch_alter_table("deviations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviations_exercise_id"))

    op.drop_table("deviations")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_submission_id"))
        batch_op.drop_index(batch_op.f("ix_runs_exercise_id"))

    op.drop_table("runs")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_exercise_id"))

    op.drop_table("submissions")
    with op.batch_alter_table("secondments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_secondments_member_id"))
        batch_op.drop_index(batch_op.f("ix_secondments_host_institute_id"))

    op.drop_table("secondments")
    op.drop_table("exercise_partners")
    with op.batch_alter_table("exercises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exercises_protocol_id"))

    op.drop_table("exercises")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_member_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_institute_id"))

    op.drop_table("members")
    with op.batch_alter_table("institute_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_institute_keys_institute_id"))

    op.drop_table("institute_keys")
    op.drop_table("ledger")
    op.drop_table("institutes")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_at"))
        batch_op.drop_index(batch_op.f("ix_audit_actor"))

    op.drop_table("audit")

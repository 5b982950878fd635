"""reminder and board-pack claims tied to a pass, the digest through the ledger, plan names unique in any case

Revision ID: 0005_trust_jobs
Revises: 0004_email
"""

import logging

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005_trust_jobs"
down_revision = "0004_email"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("reminder_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_reminder_messages_status"), ["status"], unique=False)

    with op.batch_alter_table("board_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("reminder_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_entries_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("digest_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_digest_posts_message_id", "reminder_messages", ["message_id"], ["id"], ondelete="SET NULL"
        )

    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    _fill_name_keys()
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_plans_name_key", ["name_key"])


def _fill_name_keys() -> None:
    """Each plan's case-folded name. Plans that already differ only in case (the old rule allowed it)
    keep working by their exact name: the first keeps the key, the others get none, with a warning."""
    bind = op.get_bind()
    plans = sa.table("plans", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_key"))
    seen: dict[str, str] = {}
    for plan_id, name in bind.execute(sa.select(plans.c.id, plans.c.name).order_by(plans.c.id)).all():
        key = (name or "").strip().casefold()  # storage.models.plan_name_key, frozen here
        if key in seen:
            log.warning("plans %r and %r differ only in case: rename one of them", seen[key], name)
            continue
        seen[key] = name
        bind.execute(sa.update(plans).where(plans.c.id == plan_id).values(name_key=key))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_constraint("uq_plans_name_key", type_="unique")
        batch_op.drop_column("name_key")
    with op.batch_alter_table("digest_posts", schema=None) as batch_op:
        batch_op.drop_constraint("fk_digest_posts_message_id", type_="foreignkey")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("board_posts", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("reminder_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_entries_message_id"))
    with op.batch_alter_table("reminder_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_messages_status"))
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")

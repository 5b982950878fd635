"""email: leads outside Slack (undeliverable addresses, messages by email)

Revision ID: 0004_email
Revises: 0003_governance
Create Date: 2026-11-30 06:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0004_email'
down_revision = '0003_governance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_undeliverable_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_error', sa.Text(), nullable=True))
    with op.batch_alter_table('reminder_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=10), server_default='slack', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('reminder_messages', schema=None) as batch_op:
        batch_op.drop_column('via')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('email_error')
        batch_op.drop_column('email_undeliverable_at')

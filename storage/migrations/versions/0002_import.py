"""Closed actions (import --close-missing) and section descriptions

Revision ID: 0002_import
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0002_import'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('actions') as batch:
        batch.add_column(sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_reason', sa.String(length=300), nullable=True))
    with op.batch_alter_table('sections') as batch:
        batch.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('sections') as batch:
        batch.drop_column('description')
    with op.batch_alter_table('actions') as batch:
        batch.drop_column('closed_reason')
        batch.drop_column('closed_at')

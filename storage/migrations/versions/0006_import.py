"""Section descriptions: the text under a section's heading (a list plan's recommendation, outcome and measures)

Revision ID: 0006_import
Revises: 0005_trust_jobs
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_import'
down_revision = '0005_trust_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sections') as batch:
        batch.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('sections') as batch:
        batch.drop_column('description')

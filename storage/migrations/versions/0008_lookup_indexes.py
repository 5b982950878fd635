"""Indexes for the lookups by person: a lead's actions, and whose deputy someone is

Revision ID: 0008_lookup_indexes
Revises: 0007_trust_web
Create Date: 2026-11-30 14:00:00

Every Home render and every batch of submitted updates looks up a person's actions
(action_leads.person_id) and whether anyone named them as deputy (people.deputy_id). Without these
indexes PostgreSQL read the whole of both tables each time.
"""
from alembic import op


revision = '0008_lookup_indexes'
down_revision = '0007_trust_web'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('action_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_leads_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_people_deputy_id'), ['deputy_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_people_deputy_id'))
    with op.batch_alter_table('action_leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_leads_person_id'))

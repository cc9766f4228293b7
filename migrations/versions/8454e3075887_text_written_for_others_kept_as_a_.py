"""Text written for others kept as a message, shown in the reader's language

A notification's title and body, a ticket's description and timeline note, a check
finding's summary: beside the plain text, the message (key and parameters, JSON) the
system wrote, rendered in the reader's language when shown (schoolhq.core.messages).
The columns are nullable and existing rows keep their text: NULL shows the text as it
was stored. Plain ADD/DROP COLUMN on both engines (SQLite >= 3.35), so no table is
rebuilt and the append-only triggers of ticket_event stay.

Revision ID: 8454e3075887
Revises: be3a19b5b861
Create Date: 2026-12-04 19:24:54.796541

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8454e3075887'
down_revision = 'be3a19b5b861'
branch_labels = None
depends_on = None

COLUMNS = (
    ('notification', 'title_message'),
    ('notification', 'body_message'),
    ('ticket', 'description_message'),
    ('ticket_event', 'note_message'),
    ('check_finding', 'summary_message'),
)


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.JSON(none_as_null=True), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column)

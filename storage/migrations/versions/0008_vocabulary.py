"""closed vocabularies: CHECK constraints on the columns holding them

Revision ID: 0008_vocabulary
Revises: 0007_entry_tombstones

Every column that holds a word of a closed set (storage/vocabulary.py) refuses any other
word. The sets are written out here, as they were when this migration was made; a later
change to a vocabulary is a later migration. The values the code wrote before this
migration are all inside these sets (checked writer by writer), so existing rows pass.

On SQLite a CHECK can only be added by rebuilding the table (batch mode: copy, drop,
rename; `storage/migrations/env.py` turns foreign keys off meanwhile). A rebuilt
`interaction_log_entries` keeps AUTOINCREMENT and its sequence, so an entry number that was
used and deleted is still never given again.
"""

from __future__ import annotations

from alembic import op

revision = '0008_vocabulary'
down_revision = '0007_entry_tombstones'
branch_labels = None
depends_on = None

FLOWS = ('inbound', 'outbound')
INITIATORS = ('us', 'them')
CORRESPONDENCE_TYPES = ('', 'hard_copy', 'email')
ITEM_KINDS = ('email', 'meeting', 'call')

# table → (column, allowed words); the constraint is named ck_<table>_<column>.
CHECKS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    'interaction_templates': (
        ('information_flow', FLOWS),
        ('initiated_by', INITIATORS),
        ('correspondence_type', CORRESPONDENCE_TYPES),
    ),
    'template_setup': (('kind', ('email', 'meeting', 'phone_call')),),
    'match_rules': (('kind', ITEM_KINDS), ('direction', FLOWS)),
    'interaction_log_entries': (
        ('information_flow', FLOWS),
        ('initiated_by', INITIATORS),
        ('correspondence_type', CORRESPONDENCE_TYPES),
        ('evaluation', ('', 'very_positive', 'positive', 'neutral', 'negative', 'very_negative')),
        ('source', ('email', 'meeting', 'call', 'manual', 'bot', 'segment', 'api')),
    ),
    'captured_items': (('kind', ITEM_KINDS),),
    'deleted_entry_keys': (('kind', ITEM_KINDS),),
    'sync_cursors': (('stream', ('mail', 'calendar')),),
    'sync_runs': (('status', ('running', 'ok', 'failed', 'stopped')),),
    'sync_run_streams': (('status', ('ok', 'failed', 'stopped')),),
    'sync_intervals': (
        ('trigger', ('notified', 'poll', 'takeover', 'retry')),
        ('outcome', ('ok', 'error', 'abandoned', 'stopped', 'lost')),
    ),
}

AUTOINCREMENT = {'interaction_log_entries'}  # tables created with sqlite_autoincrement


def _sqlite_sequence(table: str) -> int | None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return None
    return bind.exec_driver_sql(
        'SELECT seq FROM sqlite_sequence WHERE name = ?', (table,)).scalar()


def _restore_sqlite_sequence(table: str, seq: int | None) -> None:
    """A rebuilt AUTOINCREMENT table restarts its sequence at its highest row: put back the
    old one (higher when the newest rows were deleted)."""
    if seq is None:
        return
    op.get_bind().exec_driver_sql(
        'UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?', (seq, table))


def _rebuild(table: str, add: bool) -> None:
    seq = _sqlite_sequence(table) if table in AUTOINCREMENT else None
    kwargs = {'sqlite_autoincrement': True} if table in AUTOINCREMENT else {}
    with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
        for column, words in CHECKS[table]:
            name = op.f(f'ck_{table}_{column}')
            if add:
                allowed = ', '.join(f"'{word}'" for word in words)
                batch_op.create_check_constraint(name, f'{column} in ({allowed})')
            else:
                batch_op.drop_constraint(name, type_='check')
    _restore_sqlite_sequence(table, seq)


def upgrade() -> None:
    for table in CHECKS:
        _rebuild(table, add=True)


def downgrade() -> None:
    for table in CHECKS:
        _rebuild(table, add=False)

"""Millions of rows into PostgreSQL at the database's speed: binary COPY straight from numpy arrays, and an empty
table's indexes, constraints and triggers set aside while it fills, then built once over everything.

Both run inside the caller's transaction (PostgreSQL's DDL is transactional), so the import stays all or nothing:
a failure rolls back the rows and the dropped indexes with them. Rebuilding the unique and foreign-key constraints
checks every row as inserting would have, only in one pass instead of one per row.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from django.db import connection

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + np.array([0, 0], dtype=">i4").tobytes()  # signature, flags, extension
COPY_TRAILER = np.array([-1], dtype=">i2").tobytes()
POSTGRES_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z, where PostgreSQL's binary timestamps count from
# PostgreSQL type oids and how their binary COPY form is laid out.
INT8, INT4, FLOAT8, TIMESTAMPTZ = 20, 23, 701, 1184
BINARY_FORMS = {INT8: ">i8", INT4: ">i4", FLOAT8: ">f8", TIMESTAMPTZ: ">i8"}
UNSUPPORTED_COLUMN = "binary COPY into {table}.{column}: its type (oid {oid}) has no binary form here"
# Index builds sort in memory up to this much, instead of spilling to disk in small runs (per build, not per row).
INDEX_BUILD_MEMORY = "512MB"


def copy_arrays(*, table: str, columns: Sequence[str], values: Sequence[np.ndarray]) -> None:
    """Append one row per element of ``values`` (one array per column, timestamps as Unix seconds) to ``table``.

    The arrays become one buffer in PostgreSQL's binary COPY layout: no Python object per row or field."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {quote(table)} LIMIT 0")  # noqa: S608 (the model's own names)
        oids = [column.type_code for column in cursor.description]
        layout = [("fields", ">i2")]
        for column, oid in zip(columns, oids, strict=True):
            if oid not in BINARY_FORMS:
                raise TypeError(UNSUPPORTED_COLUMN.format(table=table, column=column, oid=oid))
            layout += [(f"{column}_bytes", ">i4"), (column, BINARY_FORMS[oid])]
        rows = np.empty(len(values[0]), dtype=layout)
        rows["fields"] = len(columns)
        for column, oid, array in zip(columns, oids, values, strict=True):
            rows[f"{column}_bytes"] = rows.dtype[column].itemsize
            rows[column] = np.round((array - POSTGRES_EPOCH) * 1e6) if oid == TIMESTAMPTZ else array
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(COPY_HEADER)
            copy.write(rows.tobytes())
            copy.write(COPY_TRAILER)


@contextmanager
def indexes_deferred(*, table: str) -> Iterator[bool]:
    """Inside the caller's transaction on PostgreSQL, when ``table`` is empty: drop its secondary indexes, its
    unique and foreign-key constraints, and disable its triggers; on leaving, put all of them back as they were
    and gather planner statistics. Yields whether it did (not on another database, nor on a table with rows,
    where rebuilding every index would cost more than the rows being added)."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield False
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")  # noqa: S608
        if cursor.fetchone()[0]:
            yield False
            return
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary "
            "AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass) "
            "ORDER BY 1",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")  # regclass text: already quoted where it needs to be
        cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER USER")
    yield True
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        for _, definition in indexes:
            cursor.execute(definition)
        # Unique constraints first (contype 'u' sorts after 'f', hence DESC): a duplicate is the likelier fault.
        for name, definition in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
        cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER USER")
        cursor.execute(f"ANALYZE {quote(table)}")

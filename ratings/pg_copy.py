"""PostgreSQL's binary COPY to and from numpy arrays: millions of rows at the database's speed, with no Python
object per row or field. The binary layout is PostgreSQL's (its COPY documentation): a signature, then per row a
field count and each field as its length and its big-endian bytes, then -1.
"""

from collections.abc import Sequence

import numpy as np
from django.db import connection

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + np.array([0, 0], dtype=">i4").tobytes()  # flags, header extension length
COPY_TRAILER = np.array([-1], dtype=">i2").tobytes()
POSTGRES_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z, where PostgreSQL's binary timestamps count from
# PostgreSQL type oids and their binary forms.
INT8, INT4, FLOAT8, TIMESTAMPTZ = 20, 23, 701, 1184
BINARY_FORMS = {INT8: ">i8", INT4: ">i4", FLOAT8: ">f8", TIMESTAMPTZ: ">i8"}
UNSUPPORTED_COLUMN = "binary COPY of {column}: its type (oid {oid}) has no fixed binary form here"
NOT_BINARY_COPY = "the database's COPY output is not in the binary layout"
# Bytes gathered from the server before they are parsed: large enough that numpy's per-call cost vanishes.
READ_BLOCK = 1 << 24


def _row_layout(columns: Sequence[str], oids: Sequence[int]) -> np.dtype:
    layout = [("fields", ">i2")]
    for column, oid in zip(columns, oids, strict=True):
        if oid not in BINARY_FORMS:
            raise TypeError(UNSUPPORTED_COLUMN.format(column=column, oid=oid))
        layout += [(f"{column}_bytes", ">i4"), (column, BINARY_FORMS[oid])]
    return np.dtype(layout)


def copy_arrays_in(*, table: str, columns: Sequence[str], values: Sequence[np.ndarray]) -> None:
    """Append one row per element of ``values`` (one array per column; timestamps as Unix seconds) to ``table``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {quote(table)} LIMIT 0")  # noqa: S608 (the models' own names)
        oids = [column.type_code for column in cursor.description]
        rows = np.empty(len(values[0]), dtype=_row_layout(columns, oids))
        rows["fields"] = len(columns)
        for column, oid, array in zip(columns, oids, values, strict=True):
            rows[f"{column}_bytes"] = rows.dtype[column].itemsize
            rows[column] = np.round((array - POSTGRES_EPOCH) * 1e6) if oid == TIMESTAMPTZ else array
        with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(COPY_HEADER)
            copy.write(rows.tobytes())
            copy.write(COPY_TRAILER)


def copy_arrays_out(*, query: str, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """The rows of ``query``, whose columns (named ``columns``) must be non-null bigint or double precision, as one
    native-endian array per column. Read in blocks: the server's output is never held whole."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({query}) AS rows LIMIT 0")  # noqa: S608 (the caller's own query)
        layout = _row_layout(columns, [column.type_code for column in cursor.description])
        parts: dict[str, list[np.ndarray]] = {column: [] for column in columns}
        pending = bytearray()
        header_done = False

        def parse(final: bool) -> None:
            nonlocal pending
            usable = len(pending) - (len(COPY_TRAILER) if final else 0)
            whole = usable - usable % layout.itemsize
            rows = np.frombuffer(bytes(pending[:whole]), dtype=layout)
            for column in columns:
                parts[column].append(rows[column].astype(rows.dtype[column].newbyteorder("=")))
            del pending[:whole]

        with cursor.cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
            for block in copy:
                pending += block
                if not header_done and len(pending) >= len(COPY_HEADER):
                    if not pending.startswith(COPY_SIGNATURE):
                        raise ValueError(NOT_BINARY_COPY)
                    extension = int.from_bytes(pending[len(COPY_SIGNATURE) + 4 : len(COPY_HEADER)], "big")
                    del pending[: len(COPY_HEADER) + extension]
                    header_done = True
                if header_done and len(pending) >= READ_BLOCK:
                    parse(final=False)
        parse(final=True)
        if bytes(pending) != COPY_TRAILER:
            raise ValueError(NOT_BINARY_COPY)
    return {
        column: np.concatenate(arrays) if arrays else np.empty(0, dtype=layout[column].newbyteorder("="))
        for column, arrays in parts.items()
    }

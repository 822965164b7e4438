"""How a MovieLens table is written, the one description that the layouts' line reader and the ratings' chunk
reader both read a table by."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TableFormat:
    name: str  # the file's name in every MovieLens copy ("u.data"); SourceFiles.find gives its member
    encoding: str
    delimiter: str
    columns: tuple[str, ...]
    header: bool  # with a header, columns are found by name (recbole's "name:type" counts as "name")
    quoted: bool = False  # GroupLens CSV quotes titles that contain commas

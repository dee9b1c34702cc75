"""A tab-separated member of a zip archive, streamed: PatentsView's ``g_*.tsv.zip`` read without
unpacking.

The member is decompressed ``chunk_bytes`` (default :data:`CHUNK_BYTES`) at a time
(``zipfile.ZipFile.open``); each chunk is cut after its last line break outside a quoted field
(``"`` quotes, doubled inside a field, as PatentsView writes them: an even count of quotes before
a break means the break ends a record), parsed by Polars with the header's names (every field a
string; a short row's missing fields null; with ``extra`` one more column, set only on rows with
more fields than the header; with ``row_index`` the 0-based data row, counted across chunks) and
filtered by ``where`` before the next chunk is read. Memory: one chunk and the rows kept.

A member that is absent, a zip that is not one or is truncated (its CRC or length fails while
streaming) and a header without the required columns are :class:`SourceFormatError`\\ s naming the
archive, the member and the rule.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import polars as pl

from ree_assets.errors import SourceFormatError

CHUNK_BYTES = 1 << 24


def _record_end(buffer: bytes) -> int:
    """Index just past the last line break of ``buffer`` (which starts a record) that ends a
    record: an even number of quotes before it; 0 if none does."""
    cut = buffer.rfind(b"\n")
    while cut != -1:
        if buffer.count(b'"', 0, cut) % 2 == 0:
            return cut + 1
        cut = buffer.rfind(b"\n", 0, cut)
    return 0


def names(line: bytes) -> list[str]:
    """The column names of a header line, unquoted; stray bytes before a name's first quote are
    dropped (PatentsView's legacy ``patent.tsv`` starts with ``x"id"``), as is a BOM. Raises
    UnicodeDecodeError when the line is not UTF-8."""
    fields = line.decode("utf-8-sig").rstrip("\r\n").split("\t")
    return [name[name.find('"') :].strip('"') if '"' in name else name.strip() for name in fields]


@contextlib.contextmanager
def open_member(archive: Path, member: str, table: str) -> Iterator[IO[bytes]]:
    """``member`` of ``archive`` as a binary stream; an absent member, a file that is not a zip
    and a zip found truncated while reading are SourceFormatErrors naming the archive."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            if member not in zipped.NameToInfo:
                raise SourceFormatError(
                    table,
                    "the archive holds the member",
                    file=archive,
                    detail=f"no {member!r}; it holds {zipped.namelist()[:10]}",
                )
            with zipped.open(member) as stream:
                yield stream
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise SourceFormatError(
            table,
            "the file is a complete zip archive",
            file=f"{archive}!{member}",
            detail=f"{type(error).__name__}: {error}",
        ) from error


def iter_zip_tsv(
    archive: Path,
    member: str,
    table: str,
    columns: Sequence[str] = (),
    where: pl.Expr | None = None,
    chunk_bytes: int | None = None,
    *,
    extra: str | None = None,
    row_index: str | None = None,
) -> Iterator[pl.DataFrame]:
    """The rows of ``member`` in ``archive`` matching ``where``, one frame per chunk, every column a
    string (see the module docstring for ``extra`` and ``row_index``); the header must hold
    ``columns``."""
    with open_member(archive, member, table) as stream:
        header = names(stream.readline())
        if missing := [c for c in columns if c not in header]:
            raise SourceFormatError(
                table,
                "the header has the columns the reader needs",
                file=f"{archive}!{member}",
                line=1,
                detail=f"missing {missing}; the header is {header}",
            )
        schema = {name: pl.String for name in [*header, *([extra] if extra else [])]}
        carry, rows_read = b"", 0
        while True:
            chunk = stream.read(chunk_bytes or CHUNK_BYTES)
            buffer = carry + chunk
            end = len(buffer) if not chunk else _record_end(buffer)
            if end:
                rows = pl.read_csv(
                    io.BytesIO(buffer[:end]),
                    has_header=False,
                    separator="\t",
                    quote_char='"',
                    schema=schema,
                    truncate_ragged_lines=True,
                    missing_columns="insert",
                    row_index_name=row_index,
                    row_index_offset=rows_read,
                )
                rows_read += rows.height
                yield rows if where is None else rows.filter(where)
            carry = buffer[end:]
            if not chunk:
                return


def read_zip_tsv(
    archive: Path,
    member: str,
    table: str = "patents",
    columns: Sequence[str] = (),
    where: pl.Expr | None = None,
    chunk_bytes: int | None = None,
) -> pl.DataFrame:
    """Every row of ``member`` matching ``where`` (see :func:`iter_zip_tsv`), in file order."""
    frames = list(iter_zip_tsv(archive, member, table, columns, where, chunk_bytes))
    return pl.concat(frames) if frames else pl.DataFrame()

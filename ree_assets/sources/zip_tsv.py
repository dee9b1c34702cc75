"""A tab-separated member of a zip archive, streamed: PatentsView's ``g_*.tsv.zip`` read without
unpacking.

The member is decompressed ``chunk_bytes`` at a time (``zipfile.ZipFile.open``); each chunk is cut
after its last line break outside a quoted field (``"`` quotes, doubled inside a field, as
PatentsView writes them: an even count of quotes before a break means the break ends a record),
parsed by Polars with the header's names (every field a string) and filtered by ``where`` before
the next chunk is read. Memory: one chunk and the rows kept.

A member that is absent, a zip that is not one or is truncated (its CRC or length fails while
streaming) and a header without the required columns are :class:`SourceFormatError`\\ s naming the
archive, the member and the rule.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

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


def _names(line: bytes) -> list[str]:
    return [name.strip().strip('"') for name in line.decode("utf-8-sig").rstrip("\r\n").split("\t")]


def iter_zip_tsv(
    archive: Path,
    member: str,
    table: str,
    columns: Sequence[str] = (),
    where: pl.Expr | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[pl.DataFrame]:
    """The rows of ``member`` in ``archive`` matching ``where``, one frame per chunk, every column a
    string; the header must hold ``columns``."""
    try:
        with zipfile.ZipFile(archive) as zipped, zipped.open(member) as stream:
            names = _names(stream.readline())
            if missing := [c for c in columns if c not in names]:
                raise SourceFormatError(
                    table,
                    "the header has the columns the reader needs",
                    file=f"{archive}!{member}",
                    line=1,
                    detail=f"missing {missing}; the header is {names}",
                )
            schema = {name: pl.String for name in names}
            carry = b""
            while True:
                chunk = stream.read(chunk_bytes)
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
                    )
                    yield rows if where is None else rows.filter(where)
                carry = buffer[end:]
                if not chunk:
                    return
    except KeyError as error:
        with zipfile.ZipFile(archive) as zipped:
            held = zipped.namelist()[:10]
        raise SourceFormatError(
            table, "the archive holds the member", file=archive, detail=f"no {member!r}; it holds {held}"
        ) from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise SourceFormatError(
            table,
            "the file is a complete zip archive",
            file=f"{archive}!{member}",
            detail=f"{type(error).__name__}: {error}",
        ) from error


def read_zip_tsv(
    archive: Path,
    member: str,
    table: str = "patents",
    columns: Sequence[str] = (),
    where: pl.Expr | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> pl.DataFrame:
    """Every row of ``member`` matching ``where`` (see :func:`iter_zip_tsv`), in file order."""
    frames = list(iter_zip_tsv(archive, member, table, columns, where, chunk_bytes))
    return pl.concat(frames) if frames else pl.DataFrame()

"""A small DuckDB file of views over exported Parquet files, wherever they live.

`flopcast export --to DEST --views-db PATH` writes PATH with one view per exported table,
``<schema>.<table>`` = ``SELECT * FROM read_parquet('<DEST>/<schema>/<table>.parquet')``, so an
analyst opens one file and queries the tables with SQL while the data stays in DEST. The file holds
no data: DuckDB reads the Parquet files each time a view is queried.

DEST must be somewhere DuckDB itself can read:

* a local folder or a ``file://`` URI: works with DuckDB alone (the views hold absolute paths, so
  moving the folder means writing the views again);
* ``s3://``, ``gs://``/``gcs://``, ``r2://``, ``http(s)://``, ``hf://`` (DuckDB's httpfs extension) and
  ``az://``/``azure://``/``abfss://`` (its azure extension): DuckDB reads the Parquet footers when a
  view is created and the data when it is queried, so the machine that writes the views and every
  machine that queries them need that extension (``INSTALL httpfs`` downloads it from
  extensions.duckdb.org) and credentials (a DuckDB secret, e.g.
  ``CREATE PERSISTENT SECRET (TYPE s3, PROVIDER credential_chain)``).

Any other fsspec URI (``memory://``, ``sftp://``, ...) is refused: DuckDB cannot read it from a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.lib.duck import literal, quote

DUCKDB_REMOTE_SCHEMES = {
    "s3": "httpfs",
    "s3a": "httpfs",
    "s3n": "httpfs",
    "gs": "httpfs",
    "gcs": "httpfs",
    "r2": "httpfs",
    "http": "httpfs",
    "https": "httpfs",
    "hf": "httpfs",
    "az": "azure",
    "azure": "azure",
    "abfss": "azure",
}


class ViewsError(ValueError):
    pass


def duckdb_location(dest: str) -> tuple[str, str | None]:
    """(the base DuckDB reads the Parquet under, the extension it needs or None) for an export
    destination; ViewsError when DuckDB cannot read it."""
    scheme, sep, rest = dest.partition("://")
    if not sep:
        return str(Path(dest).expanduser().resolve()), None
    scheme = scheme.lower()
    if scheme in ("file", "local"):
        return str(Path(rest).resolve()), None
    if scheme in DUCKDB_REMOTE_SCHEMES:
        return dest.rstrip("/"), DUCKDB_REMOTE_SCHEMES[scheme]
    readable = ", ".join(f"{s}://" for s in ("file", *DUCKDB_REMOTE_SCHEMES))
    raise ViewsError(
        f"DuckDB cannot read {scheme}:// files, so views over {dest} would not work; "
        f"export to a local folder or one of {readable}"
    )


def views_db_path(value: str | Path) -> Path:
    """The views file must be on this machine: DuckDB writes only local database files."""
    text = str(value)
    if text.lower().startswith("file://"):
        return Path(text[len("file://") :]).resolve()
    if "://" in text or text.lower().startswith(("md:", "motherduck:")):
        raise ViewsError(f"--views-db {text!r}: expected a local file path (DuckDB writes only local database files)")
    return Path(text).expanduser().resolve()


def write_views_db(db_path: Path, dest: str, tables: list[str], *, force: bool = False) -> Path:
    """Create db_path with a view per `schema.table` over `<dest>/<schema>/<table>.parquet`.

    Written to a temporary file and renamed into place, so a failure leaves no half-made file and an
    analyst holding the old one open keeps a consistent copy.
    """
    base, extension = duckdb_location(dest)
    if db_path.exists() and not force:
        raise ViewsError(f"{db_path} already exists; use --force to overwrite")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_name(db_path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(partial))
        try:
            for table in tables:
                schema, name = table.split(".")
                location = f"{base}/{schema}/{name}.parquet"
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
                try:
                    con.execute(
                        f"CREATE VIEW {quote(schema)}.{quote(name)} AS SELECT * FROM read_parquet({literal(location)})"
                    )
                except duckdb.Error as exc:
                    needs = (
                        (
                            f" DuckDB needs its {extension} extension (INSTALL {extension}; downloaded from "
                            "extensions.duckdb.org) and credentials (CREATE SECRET) to read it."
                        )
                        if extension
                        else ""
                    )
                    raise ViewsError(
                        f"cannot create the view {table} over {location}: {str(exc).splitlines()[0]}.{needs}"
                    ) from None
                _comment_view(con, schema, name, location)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(partial, db_path)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
    return db_path


def _comment_view(con: duckdb.DuckDBPyConnection, schema: str, name: str, location: str) -> None:
    """The view and its columns get the published table's descriptions and units (column_docs), as
    the warehouse's own tables do, plus where the Parquet file is."""
    from pipelines.lib.column_docs import TABLE_DOCS, column_doc, comment_text

    table = f"{schema}.{name}"
    description = TABLE_DOCS.get(table)
    text = f"{description} (Parquet at {location})" if description else f"Parquet at {location}"
    con.execute(f"COMMENT ON VIEW {quote(schema)}.{quote(name)} IS {literal(text)}")
    for (column,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name],
    ).fetchall():
        doc = column_doc(table, column)
        if doc is not None:
            con.execute(
                f"COMMENT ON COLUMN {quote(schema)}.{quote(name)}.{quote(column)} IS {literal(comment_text(*doc))}"
            )

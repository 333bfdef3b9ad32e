"""Descriptions, units and data tests of every table, read from YAML files beside what makes the tables.

Where they are written (dbt's ``schema.yml`` layout, ``version: 2``):

- ``dbt_like_sql/<schema>/schema.yml``: the SQL models of that folder, with their data tests
  (``unique``, ``not_null``, ``accepted_values``, ``accepted_range``, ``unique_combination_of_columns``),
  which become blocking asset checks (see ``sql_graph.data_tests``);
- ``pipelines/lib/schemas/<schema>.yml``: the tables made in Python (``clean.*``, the analysis
  ``marts.*``, ``quarantine.*``);
- ``pipelines/lib/schemas/common.yml``: columns that mean the same thing in several tables (lineage,
  a model's fields, a country's electricity). A column entry with its name only takes its
  description and unit from the model's ``inherit:`` table (when it has that column), else from here.

A description may name a setting of ``pipelines/lib/settings.py`` as ``{{ frontier_top_n }}``; it is
filled in when the files load, so the docs say what the code does. Units follow the column-name
suffixes (``_flop`` FLOP, ``_usd`` US dollars, ``_w`` W, ``_gw`` GW, ``_twh`` TWh, ``_date`` date,
``year`` a calendar or fractional year); no unit means text, a flag or an identifier.

From these files come the DuckDB comments (``COMMENT ON``, :func:`apply_comments`), the Parquet
schema metadata (:func:`parquet_metadata`), the Dagster column schemas, the data card and
``datapackage.json``. ``TABLE_DOCS`` (schema.table -> description), ``COLUMN_DOCS`` (schema.table ->
column -> (unit, description)) and ``COMMON`` are loaded on first use, never at import time; a public
column without a description is reported by :func:`undocumented` and fails the integration tests.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.duck import PUBLIC_SCHEMAS, literal, quote, table_columns, transaction

Doc = tuple[str | None, str]  # (unit or None, description)


SCHEMAS_DIR = Path(__file__).parent / "schemas"  # the Python-made tables' YAML files
COMMON_FILE = "common.yml"
SCHEMA_FILE = "schema.yml"  # in each SQL model folder
DEFAULT_SQL_DIR = Path(__file__).resolve().parents[2] / "dbt_like_sql"

# dbt's generic tests, with the parameters each takes (dbt_utils' names for the last two).
TEST_PARAMETERS = {
    "unique": set(),
    "not_null": set(),
    "accepted_values": {"values"},
    "accepted_range": {"min_value", "max_value", "inclusive"},
}
TABLE_TEST_PARAMETERS = {"unique_combination_of_columns": {"combination_of_columns"}}
_SETTING = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class SchemaFileError(ValueError):
    """A problem in a schema YAML file; the message starts with the file."""


@dataclass(frozen=True)
class DataTest:
    kind: str  # a key of TEST_PARAMETERS or TABLE_TEST_PARAMETERS
    column: str | None  # None for a table-level test
    params: tuple[tuple[str, object], ...] = ()

    @property
    def name(self) -> str:
        """The check's name: kind and column(s), e.g. unique_model_id."""
        if self.column is not None:
            return f"{self.kind}_{self.column}"
        return f"{self.kind}_" + "_".join(dict(self.params)["combination_of_columns"])


@dataclass(frozen=True)
class TableSpec:
    schema: str
    name: str
    description: str
    columns: dict[str, Doc]  # in the file's order
    tests: tuple[DataTest, ...]
    path: Path

    @property
    def qualified_name(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.name}"


def default_sql_dir() -> Path:
    """The SQL project: FLOPCAST_SQL_DIR, or dbt_like_sql/ at the project root."""
    return Path(os.environ.get("FLOPCAST_SQL_DIR", DEFAULT_SQL_DIR)).resolve()


def _format_setting(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}".replace("e+", "e")  # 1e+23 -> 1e23
    return str(value)


def _render(text: str, where: str) -> str:
    from pipelines.lib.settings import DEFAULTS

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if not hasattr(DEFAULTS, name):
            raise SchemaFileError(f"{where}: {{{{ {name} }}}} is not a setting of pipelines/lib/settings.py")
        return _format_setting(getattr(DEFAULTS, name))

    return _SETTING.sub(fill, " ".join(text.split()))


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaFileError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != 2:
        raise SchemaFileError(f"{path}: expected a mapping with 'version: 2' at the top (dbt's schema.yml layout)")
    return data


def _doc(entry: dict, where: str) -> Doc:
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip():
        raise SchemaFileError(f"{where}: needs a description")
    unit = entry.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise SchemaFileError(f"{where}: unit must be text, got {unit!r}")
    return (unit or None, _render(description, where))


@functools.cache
def _common() -> dict[str, Doc]:
    path = SCHEMAS_DIR / COMMON_FILE
    data = _read_yaml(path)
    common = {}
    for entry in data.get("columns") or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise SchemaFileError(f"{path}: every column needs a name, got {entry!r}")
        common[name] = _doc(entry, f"{path}: column {name!r}")
    return common


def _test(raw: object, column: str | None, where: str) -> DataTest:
    allowed = TEST_PARAMETERS if column is not None else TABLE_TEST_PARAMETERS
    if isinstance(raw, str):
        kind, params = raw, {}
    elif isinstance(raw, dict) and len(raw) == 1:
        kind, params = next(iter(raw.items()))
        params = params or {}
    else:
        raise SchemaFileError(
            f"{where}: a test is a name or a one-key mapping of a name to its parameters, got {raw!r}"
        )
    if kind not in allowed:
        raise SchemaFileError(f"{where}: unknown test {kind!r}; known here: {', '.join(allowed)}")
    if not isinstance(params, dict) or set(params) - allowed[kind]:
        raise SchemaFileError(
            f"{where}: test {kind!r} takes {', '.join(sorted(allowed[kind])) or 'no parameters'}, got {params!r}"
        )
    if kind == "accepted_values" and not isinstance(params.get("values"), list):
        raise SchemaFileError(f"{where}: accepted_values needs a list of values")
    if kind == "accepted_range" and "min_value" not in params and "max_value" not in params:
        raise SchemaFileError(f"{where}: accepted_range needs min_value or max_value")
    if kind == "unique_combination_of_columns" and not isinstance(params.get("combination_of_columns"), list):
        raise SchemaFileError(f"{where}: unique_combination_of_columns needs a list combination_of_columns")
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return DataTest(kind, column, frozen)


def read_schema_file(
    path: Path, schema: str, *, known: dict[str, TableSpec] | None = None, tests_allowed: bool = True
) -> list[TableSpec]:
    """The tables one schema YAML file describes. ``known`` resolves ``inherit:`` (schema.table)."""
    path = Path(path)
    data = _read_yaml(path)
    common = _common()
    specs = []
    seen: set[str] = set()
    for model in data.get("models") or []:
        name = model.get("name") if isinstance(model, dict) else None
        if not isinstance(name, str):
            raise SchemaFileError(f"{path}: every model needs a name, got {model!r}")
        where = f"{path}: {schema}.{name}"
        if name in seen:
            raise SchemaFileError(f"{where}: described twice")
        seen.add(name)
        if not isinstance(model.get("description"), str):
            raise SchemaFileError(f"{where}: needs a description")
        inherited: dict[str, Doc] = {}
        if model.get("inherit"):
            parent = (known or {}).get(model["inherit"])
            if parent is None:
                raise SchemaFileError(f"{where}: inherit: {model['inherit']!r} is not a described table")
            inherited = parent.columns
        columns: dict[str, Doc] = {}
        tests: list[DataTest] = []
        for entry in model.get("columns") or []:
            column = entry.get("name") if isinstance(entry, dict) else None
            if not isinstance(column, str):
                raise SchemaFileError(f"{where}: every column needs a name, got {entry!r}")
            if column in columns:
                raise SchemaFileError(f"{where}: column {column!r} is described twice")
            if "description" in entry:
                columns[column] = _doc(entry, f"{where}.{column}")
            elif column in inherited:
                columns[column] = inherited[column]
            elif column in common:
                columns[column] = common[column]
            else:
                raise SchemaFileError(
                    f"{where}.{column}: no description here, in its inherit: table or in {SCHEMAS_DIR / COMMON_FILE}"
                )
            tests += [_test(raw, column, f"{where}.{column}") for raw in entry.get("tests") or []]
        tests += [_test(raw, None, where) for raw in model.get("tests") or []]
        if tests and not tests_allowed:
            raise SchemaFileError(
                f"{where}: data tests run on SQL models only (dbt_like_sql/<schema>/schema.yml); "
                "Python-made tables are checked by their own asset checks"
            )
        specs.append(TableSpec(schema, name, _render(model["description"], where), columns, tuple(tests), path))
    return specs


def sql_schema_files(sql_dir: Path) -> list[tuple[str, Path]]:
    """(schema, path) of every <schema>/schema.yml of the SQL project, by schema name."""
    return sorted((path.parent.name.lower(), path) for path in Path(sql_dir).glob(f"*/{SCHEMA_FILE}"))


@functools.cache
def _table_specs(sql_dir: Path) -> dict[str, TableSpec]:
    specs: dict[str, TableSpec] = {}

    def add(found: list[TableSpec]) -> None:
        for spec in found:
            if spec.qualified_name in specs:
                raise SchemaFileError(
                    f"{spec.path}: {spec.qualified_name} is also described in {specs[spec.qualified_name].path}"
                )
            specs[spec.qualified_name] = spec

    for path in sorted(SCHEMAS_DIR.glob("*.yml")):
        if path.name != COMMON_FILE:
            add(read_schema_file(path, path.stem, tests_allowed=False))
    for schema, path in sql_schema_files(sql_dir):
        add(read_schema_file(path, schema, known=specs))
    return specs


def table_specs(sql_dir: Path | None = None) -> dict[str, TableSpec]:
    """schema.table -> its description, columns and data tests, from every YAML file (loaded once)."""
    return _table_specs(Path(sql_dir).resolve() if sql_dir is not None else default_sql_dir())


@functools.cache
def _docs() -> tuple[dict[str, str], dict[str, dict[str, Doc]]]:
    """(TABLE_DOCS, COLUMN_DOCS) of the default SQL project: one pair of dicts per process, which
    every lookup below reads."""
    specs = table_specs()
    return (
        {table: spec.description for table, spec in specs.items()},
        {table: dict(spec.columns) for table, spec in specs.items()},
    )


def __getattr__(name: str):
    """TABLE_DOCS, COLUMN_DOCS and COMMON, loaded from the YAML files on first use."""
    if name == "TABLE_DOCS":
        return _docs()[0]
    if name == "COLUMN_DOCS":
        return _docs()[1]
    if name == "COMMON":
        return _common()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def table_doc(table: str) -> str | None:
    """The description of schema.table, or None when it is not described."""
    return _docs()[0].get(table)


def column_doc(table: str, column: str) -> Doc | None:
    """(unit, description) of schema.table's column, or None when it is not documented."""
    return _docs()[1].get(table, {}).get(column)


# --- using the docs -------------------------------------------------------------------------------


def comment_text(unit: str | None, description: str) -> str:
    """The column comment: the description, with the unit in brackets in front when there is one."""
    return f"[{unit}] {description}" if unit else description


def public_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every column of every base table in the public schemas, in table order."""
    placeholders = ", ".join("?" for _ in PUBLIC_SCHEMAS)
    return con.execute(
        "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name) "
        f"WHERE c.table_schema IN ({placeholders}) AND t.table_type = 'BASE TABLE' "
        "AND c.table_catalog = current_database() "
        "ORDER BY c.table_schema, c.table_name, c.ordinal_position",
        list(PUBLIC_SCHEMAS),
    ).fetchall()


def described_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str | None]]:
    """(column, DuckDB type, comment text or None) of schema.table as it is in the database, for
    Dagster's column schema of the asset that made it."""
    schema, _, name = table.partition(".")
    rows = table_columns(con, schema, name)
    return [(column, kind, comment_text(*doc) if (doc := column_doc(table, column)) else None) for column, kind in rows]


def parquet_metadata(table: str, columns: list[str]) -> tuple[dict[bytes, bytes], dict[str, dict[bytes, bytes]]]:
    """The table's and each column's Parquet (Arrow schema) metadata: b'description' for the table and
    every documented column, b'unit' for the columns that have one (absent for text, flags, identifiers)."""
    table_metadata = {b"table": table.encode()}
    if table_doc(table):
        table_metadata[b"description"] = table_doc(table).encode()
    fields = {}
    for column in columns:
        doc = column_doc(table, column)
        if doc is None:
            continue
        unit, description = doc
        fields[column] = {b"description": description.encode(), **({b"unit": unit.encode()} if unit else {})}
    return table_metadata, fields


def apply_comments(con: duckdb.DuckDBPyConnection) -> int:
    """COMMENT ON every documented public table and column that exists; returns how many comments were set.

    Documented tables or columns missing from the database are skipped (``stale_docs`` lists them).
    """
    columns = public_columns(con)
    tables = sorted({(schema, table) for schema, table, _ in columns})
    statements = []
    for schema, table in tables:
        text = table_doc(f"{schema}.{table}")
        if text:
            statements.append(f"COMMENT ON TABLE {quote(schema)}.{quote(table)} IS {literal(text)}")
    for schema, table, column in columns:
        doc = column_doc(f"{schema}.{table}", column)
        if doc:
            statements.append(
                f"COMMENT ON COLUMN {quote(schema)}.{quote(table)}.{quote(column)} IS {literal(comment_text(*doc))}"
            )
    # One transaction: each COMMENT on its own commits to the WAL (~3 ms apiece, ~1 s for a build's
    # 330 comments); together they take 0.1 s, and a failure leaves no comment half-applied.
    with transaction(con):
        for statement in statements:
            con.execute(statement)
    return len(statements)


def undocumented(con: duckdb.DuckDBPyConnection) -> list[str]:
    """'schema.table.column' of every public column without a description in the YAML files."""
    return [
        f"{schema}.{table}.{column}"
        for schema, table, column in public_columns(con)
        if column_doc(f"{schema}.{table}", column) is None
    ]


def undocumented_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """'schema.table' of every public table without a description in the YAML files."""
    return sorted({f"{schema}.{table}" for schema, table, _ in public_columns(con)} - set(_docs()[0]))


def stale_docs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Described public tables ('schema.table') and columns ('schema.table.column') the database does not have."""
    present = {f"{schema}.{table}.{column}" for schema, table, column in public_columns(con)}
    tables = {name.rsplit(".", 1)[0] for name in present}
    table_docs, column_docs = _docs()
    public = [name for name in table_docs if name.split(".")[0] in PUBLIC_SCHEMAS]
    stale = [name for name in public if name not in tables]
    stale += [
        f"{table}.{column}"
        for table in public
        for column in column_docs.get(table, {})
        if f"{table}.{column}" not in present
    ]
    return sorted(stale)

"""Discover a folder of plain DuckDB SQL models and infer their dependency graph.

Layout::

    <root>/<schema>/<table>.sql   one SELECT per file; it builds the table schema.table
    <root>/<schema>/schema.yml    descriptions, units and data tests of that folder's models (as dbt's)
    <root>/tests/<name>.sql       assertions: a SELECT that returns the offending rows

Dependencies are not declared; they are read from the SQL with sqlglot, so a model
cannot quietly read a table that is built after it. Constants come from pipelines/lib/settings.py
as DuckDB variables (``getvariable('frontier_top_n')``); an unknown name is refused here, since
DuckDB would read it as NULL. The data tests of schema.yml become assertions like the files in
tests/. This module has no Dagster import: it only returns plain data that the orchestration layer
turns into assets and checks.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from pipelines.lib.column_docs import DataTest, SchemaFileError, sql_schema_files, table_specs
from pipelines.lib.duck import literal, quote
from pipelines.lib.settings import SQL_VARIABLES

DIALECT = "duckdb"
TESTS_DIR = "tests"
# Folder and file names become unquoted DuckDB identifiers, so keep them plain.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
# "-- materialized: view" in a model's leading comment lines makes it a view instead of a table.
_MATERIALIZED = re.compile(r"--\s*materialized\s*:\s*(\S*)", re.IGNORECASE)  # words after the value are a comment
MATERIALIZATIONS = ("table", "view")
# sqlglot underlines the error position with terminal colour codes; they garble logs.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SqlGraphError(ValueError):
    """A problem in the SQL project; the message always starts with the offending file."""


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    path: Path
    sql: str  # file text without surrounding whitespace or a final ";", ready to embed
    depends_on: tuple[str, ...]  # sorted "schema.table" names: models and external tables
    materialized: str = "table"  # or "view": see materialization()
    variables: tuple[str, ...] = ()  # the settings it reads with getvariable(), sorted

    @property
    def qualified_name(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.name}"

    @property
    def code_version(self) -> str:
        """A hash of the SQL text: Dagster marks the table stale when its SQL changes."""
        return sql_hash(self.sql)


def sql_hash(sql: str) -> str:
    """A short hash of a model's SQL: its Dagster code_version, so an edited model shows as changed."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()[:16]


def materialization(sql: str, *, path: Path) -> str:
    """'table' unless a leading comment line says "-- materialized: view" (or "table").

    A view costs nothing to build and reads its inputs at query time: for a model that only
    renames or selects columns of a large table, a table would be a full copy.
    """
    for number, line in enumerate(sql.splitlines(), start=1):
        if not line.strip().startswith("--"):
            break  # only the comment block before the query configures it
        match = _MATERIALIZED.match(line.strip())
        if match:
            value = match.group(1).lower()
            if value not in MATERIALIZATIONS:
                raise SqlGraphError(
                    f"{path}: line {number}: materialized must be one of "
                    f"{', '.join(MATERIALIZATIONS)}, got {match.group(1)!r}"
                )
            return value
    return "table"


@dataclass(frozen=True)
class SqlTest:
    name: str
    path: Path  # the tests/<name>.sql file, or the schema.yml that declares a data test
    sql: str
    depends_on: tuple[str, ...]
    description: str = ""  # for data tests; an assertion file's is its leading comment
    target: str | None = None  # the model a data test checks (assertion files: the most downstream one read)


def variables_read(sql: str, *, path: Path | str = "<sql>") -> tuple[str, ...]:
    """The settings a query reads with getvariable('name'), sorted; each must be one of
    settings.SQL_VARIABLES and named by a string literal (DuckDB reads an unset variable as NULL)."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except SqlglotError as e:
        raise SqlGraphError(f"{path}: cannot parse SQL: {_ANSI.sub('', str(e))}") from e
    names = set()
    for call in tree.find_all(exp.Anonymous):
        if str(call.this).lower() != "getvariable":
            continue
        args = call.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise SqlGraphError(f"{path}: getvariable() takes one quoted setting name, got {call.sql(DIALECT)}")
        name = args[0].this
        if name not in SQL_VARIABLES:
            raise SqlGraphError(
                f"{path}: getvariable({name!r}): not a setting the SQL may read; known: "
                f"{', '.join(SQL_VARIABLES)} (pipelines/lib/settings.py)"
            )
        names.add(name)
    return tuple(sorted(names))


def table_references(sql: str, *, path: Path | None = None) -> set[str]:
    """Every physical table the query reads, as lower-case "schema.table"."""
    where = str(path) if path is not None else "<sql>"
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except SqlglotError as e:
        raise SqlGraphError(f"{where}: cannot parse SQL: {_ANSI.sub('', str(e))}") from e
    if not statements:
        raise SqlGraphError(f"{where}: file holds no SQL statement")
    if len(statements) > 1:
        raise SqlGraphError(f"{where}: expected one statement, found {len(statements)}")
    query = statements[0]
    if not isinstance(query, exp.Query):  # Select, Union/Except/Intersect, (parenthesised)
        raise SqlGraphError(f"{where}: expected a SELECT query, found {query.key.upper()}")

    try:
        scopes = traverse_scope(query)
    except SqlglotError as e:
        raise SqlGraphError(f"{where}: cannot analyse query: {e}") from e
    refs: set[str] = set()
    for scope in scopes:
        # scope.sources maps each FROM/JOIN name to an exp.Table, or to a child Scope when it
        # names a CTE or derived table. That is how CTEs drop out, including one that shadows
        # a real table name, since sqlglot only resolves *unqualified* names to CTEs.
        for source in scope.sources.values():
            if not isinstance(source, exp.Table) or not isinstance(source.this, exp.Identifier):
                continue  # a CTE/subquery scope, or a table function such as range(10)
            if source.catalog:
                raise SqlGraphError(f"{where}: {source.sql(DIALECT)!r}: use schema.table, not catalog.schema.table")
            if not source.db:
                # Without a schema we cannot tell which model is meant, so guessing would
                # produce a wrong graph silently.
                raise SqlGraphError(
                    f"{where}: table {source.name!r} is not a CTE and has no schema; refer to tables as schema.table"
                )
            refs.add(f"{source.db}.{source.name}".lower())
    return refs


def load_sql_project(root: Path, *, external_tables: Iterable[str]) -> tuple[list[SqlModel], list[SqlTest]]:
    """Load models (in build order) and tests (by name) from ``root``.

    ``external_tables`` are "schema.table" names produced outside the SQL folder, e.g. by
    Python assets; models and tests may read them, but no model may redefine them.
    """
    root = Path(root)
    if not root.is_dir():
        raise SqlGraphError(f"{root}: SQL project folder not found")
    external = set()
    for name in external_tables:
        if name.count(".") != 1:
            raise ValueError(f"external table {name!r} must be written as schema.table")
        external.add(name.lower())

    models: dict[str, SqlModel] = {}
    tests: list[SqlTest] = []
    for path in sorted(root.rglob("*.sql")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue  # editor swap files, .ipynb_checkpoints and the like
        if len(rel.parts) != 2:  # otherwise a stray file would silently never run
            raise SqlGraphError(f"{rel}: SQL files belong in <schema>/<table>.sql or {TESTS_DIR}/<name>.sql")
        folder, name = rel.parts[0].lower(), path.stem.lower()
        for ident in (folder, name):
            if not _IDENTIFIER.fullmatch(ident):
                raise SqlGraphError(f"{rel}: {ident!r} is not a plain name ([a-z_][a-z0-9_]*)")
        try:
            sql = path.read_text(encoding="utf-8").strip().rstrip(";").rstrip()
        except UnicodeDecodeError as e:
            raise SqlGraphError(f"{rel}: not UTF-8 text: {e}") from e
        depends_on = tuple(sorted(table_references(sql, path=rel)))
        variables = variables_read(sql, path=rel)
        if folder == TESTS_DIR:
            tests.append(SqlTest(name, path, sql, depends_on))
            continue
        model = SqlModel(folder, name, path, sql, depends_on, materialization(sql, path=rel), variables)
        if model.materialized == "view" and variables:
            # A view evaluates getvariable() when it is read, in a reader's session where it is unset.
            raise SqlGraphError(f"{rel}: a view cannot read settings ({', '.join(variables)}): make it a table")
        if model.qualified_name in external:
            raise SqlGraphError(f"{rel}: {model.qualified_name} is already produced outside the SQL folder")
        if model.qualified_name in models:  # e.g. Orders.sql and orders.sql
            other = models[model.qualified_name].path.relative_to(root)
            raise SqlGraphError(f"{rel}: {model.qualified_name} is also defined by {other}")
        models[model.qualified_name] = model

    known = sorted(models.keys() | external)
    for item in [*models.values(), *tests]:
        unknown = [ref for ref in item.depends_on if ref not in models and ref not in external]
        if unknown:
            hints = []
            for ref in unknown:
                # A high cutoff, because every name in a schema shares the "schema." prefix;
                # failing that, the same table name in another schema is the likely mistake.
                close = difflib.get_close_matches(ref, known, n=3, cutoff=0.8) or [
                    k for k in known if k.partition(".")[2] == ref.partition(".")[2]
                ]
                hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
                hints.append(f"{ref!r}{hint}")
            raise SqlGraphError(f"{item.path.relative_to(root)}: unknown table {'; '.join(hints)}")

    tests += data_tests(root, models)
    return topological_order(models.values(), root=root), sorted(tests, key=lambda t: (t.target or "", t.name))


def data_tests(root: Path, models: dict[str, SqlModel]) -> list[SqlTest]:
    """The data tests of every <schema>/schema.yml, as assertions on the model they describe."""
    root = Path(root).resolve()
    try:
        specs = table_specs(root)
    except SchemaFileError as e:
        raise SqlGraphError(str(e)) from None
    tests = []
    for schema, path in sql_schema_files(root):
        for spec in (s for s in specs.values() if s.path == path):
            if spec.qualified_name not in models:
                raise SqlGraphError(
                    f"{path.relative_to(root)}: describes {spec.qualified_name}, but there is no "
                    f"{schema}/{spec.name}.sql"
                )
            for test in spec.tests:
                sql = data_test_sql(spec.qualified_name, test)
                where = f"{path.relative_to(root)}: {spec.qualified_name}: {test.name}"
                variables_read(sql, path=where)
                tests.append(
                    SqlTest(
                        test.name,
                        path,
                        sql,
                        (spec.qualified_name,),
                        description=data_test_description(test),
                        target=spec.qualified_name,
                    )
                )
    return tests


def _sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return literal(str(value))


def data_test_sql(table: str, test: DataTest) -> str:
    """dbt's generic tests as assertions: a SELECT returning the offending rows (none when it passes).
    Nulls pass every test but not_null, as in dbt. accepted_range's bounds are numbers or SQL
    expressions such as getvariable('frontier_top_n')."""
    params = dict(test.params)
    target = ".".join(quote(part) for part in table.split("."))
    if test.column is None:  # unique_combination_of_columns
        columns = ", ".join(quote(c) for c in params["combination_of_columns"])
        return f"select {columns}, count(*) as n from {target} group by {columns} having count(*) > 1"
    column = quote(test.column)
    if test.kind == "unique":
        return (
            f"select {column}, count(*) as n from {target} where {column} is not null "
            f"group by {column} having count(*) > 1"
        )
    if test.kind == "not_null":
        return f"select * from {target} where {column} is null"
    if test.kind == "accepted_values":
        values = ", ".join(_sql_literal(v) for v in params["values"])
        return (
            f"select {column}, count(*) as n from {target} where {column} is not null "
            f"and {column} not in ({values}) group by {column}"
        )
    if test.kind == "accepted_range":
        inclusive = params.get("inclusive", True)
        bounds = []
        for key, op in (("min_value", ">=" if inclusive else ">"), ("max_value", "<=" if inclusive else "<")):
            if key in params:
                value = params[key]
                bounds.append(f"{column} {op} {value if isinstance(value, str) else _sql_literal(value)}")
        return f"select * from {target} where not ({' and '.join(bounds)})"
    raise SqlGraphError(f"{table}: unknown data test {test.kind!r}")


def data_test_description(test: DataTest) -> str:
    """One sentence saying what a schema.yml data test asserts, for its Dagster check."""
    params = dict(test.params)
    if test.kind == "unique":
        return f"{test.column} has no repeated value (schema.yml test unique)."
    if test.kind == "not_null":
        return f"{test.column} is never null (schema.yml test not_null)."
    if test.kind == "accepted_values":
        return f"{test.column} is one of {', '.join(map(str, params['values']))} (schema.yml test accepted_values)."
    if test.kind == "accepted_range":
        low, high = ("at least", "at most") if params.get("inclusive", True) else ("above", "below")
        parts = [
            f"{low} {params['min_value']}" if "min_value" in params else "",
            f"{high} {params['max_value']}" if "max_value" in params else "",
        ]
        return f"{test.column} is {' and '.join(p for p in parts if p)} (schema.yml test accepted_range)."
    return (
        f"No two rows share ({', '.join(params['combination_of_columns'])}) "
        "(schema.yml test unique_combination_of_columns)."
    )


def read_model(root: Path, qualified_name: str) -> SqlModel:
    """One model, read from <root>/<schema>/<table>.sql without loading the rest of the project (for
    code that runs a model on frames, see sql_runner.select_model)."""
    schema, _, name = qualified_name.partition(".")
    path = Path(root) / schema / f"{name}.sql"
    if not path.is_file():
        raise SqlGraphError(f"{path}: SQL model {qualified_name} not found")
    sql = path.read_text(encoding="utf-8").strip().rstrip(";").rstrip()
    return SqlModel(
        schema,
        name,
        path,
        sql,
        tuple(sorted(table_references(sql, path=path))),
        materialization(sql, path=path),
        variables_read(sql, path=path),
    )


def topological_order(models: Iterable[SqlModel], *, root: Path | None = None) -> list[SqlModel]:
    """Models ordered so each comes after the models it reads; ties broken by name.

    References to non-models (external tables) are ignored: they exist before any model runs.
    ``root`` only shortens the file paths in error messages.
    """
    by_name = {m.qualified_name: m for m in models}
    deps = {n: {d for d in m.depends_on if d in by_name} for n, m in by_name.items()}
    dependants: dict[str, list[str]] = {n: [] for n in by_name}
    for n, ds in deps.items():
        for d in ds:
            dependants[d].append(n)

    # Kahn's algorithm with a heap, so the order never depends on file-system listing order.
    waiting = {n: len(ds) for n, ds in deps.items()}
    ready = sorted(n for n, count in waiting.items() if count == 0)
    order: list[SqlModel] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(by_name[name])
        for child in dependants[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) == len(by_name):
        return order

    # Every model left over waits on another left-over model, so following dependencies
    # from any of them must loop; report just that loop, not its downstream victims.
    stuck = {n for n, count in waiting.items() if count > 0}
    path: list[str] = []
    node = min(stuck)
    while node not in path:
        path.append(node)
        node = min(deps[node] & stuck)
    cycle = path[path.index(node) :]

    def show(n: str) -> str:
        p = by_name[n].path
        if root is not None and p.is_relative_to(root):
            p = p.relative_to(root)
        return f"{p} ({n})"

    if len(cycle) == 1:
        raise SqlGraphError(f"{show(node)} references itself")
    raise SqlGraphError("dependency cycle: " + " -> ".join(show(n) for n in [*cycle, node]))

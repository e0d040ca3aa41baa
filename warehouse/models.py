"""The SQL models in transforms/ (and a user's own): what each reads, and their build order."""

from __future__ import annotations

import functools
import graphlib
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

import transforms
from warehouse.checks import Check, CheckDeclarationError, parse_checks, quote

TRANSFORMS_DIR = Path(transforms.__file__).parent
LAYERS = ("staging", "intermediate", "marts")
# A user's own models, from the folder CIVIC_ETL_MODELS_DIR names: built after the project's.
USER_LAYER = "user"
MODELS_DIR_VAR = "CIVIC_ETL_MODELS_DIR"
DIALECT = "duckdb"
# The schema models are published in; `analytics.<model>` and a bare `<model>` mean the same.
TARGET_SCHEMA = "analytics"
# Staging and intermediate models are built beside it, in `<schema>_internal`, so that what a BI
# tool lists in `analytics` is the marts (and a user's own models); models still refer to them
# as `analytics.<model>` or by bare name.
INTERNAL_LAYERS = ("staging", "intermediate")
INTERNAL_SUFFIX = "_internal"


class TransformError(Exception):
    """The transforms cannot be built or did not hold; the message is one line for the CLI."""


class ModelError(TransformError):
    """A model file that cannot be read: bad SQL, a bad `[checks]` block, an unknown table."""


class CycleError(TransformError):
    """Models that read each other in a circle, so no build order exists."""


@dataclass(frozen=True)
class Reference:
    """A table named in a model's SQL, with where its (possibly qualified) name sits in the text."""

    schema: str
    name: str
    start: int
    end: int  # exclusive


@dataclass(frozen=True)
class Model:
    """One SQL file: a `select` whose result becomes the table named after the file."""

    name: str
    layer: str
    path: Path
    sql: str
    description: str
    checks: tuple[Check, ...]
    depends_on: frozenset[str]
    sources: frozenset[tuple[str, str]]  # raw (schema, table) pairs read directly
    references: tuple[Reference, ...]


def split_header(text: str) -> tuple[str, str]:
    """The leading `--` comment block, split into its prose and the TOML from `[checks]` on.

    Checks live in the model's own file, as TOML behind `-- `, so what must hold of a table
    is read next to the SQL that makes it and parsed by the standard library.
    """
    prose: list[str] = []
    toml: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped:
                break
            continue
        body = stripped[2:]
        body = body[1:] if body.startswith(" ") else body
        if toml or body.startswith("[checks"):
            toml.append(body)
        else:
            prose.append(body)
    description = " ".join(part.strip() for part in prose if part.strip())
    return description, "\n".join(toml)


def _reference(table: exp.Table) -> Reference | None:
    """A plain table name with its text span; None for table functions and the like."""
    name, schema = table.this, table.args.get("db")
    if not isinstance(name, exp.Identifier) or "start" not in name.meta:
        return None
    if table.args.get("catalog") is not None:
        return None  # another attached database: not ours to build or stand in for
    start = schema.meta["start"] if isinstance(schema, exp.Identifier) else name.meta["start"]
    return Reference(
        schema=_identifier(schema) if isinstance(schema, exp.Identifier) else "",
        name=_identifier(name),
        start=int(start),
        end=int(name.meta["end"]) + 1,
    )


def _identifier(identifier: exp.Identifier) -> str:
    """DuckDB matches unquoted names case-insensitively: fold them so `People` is `people`."""
    return identifier.name if identifier.quoted else identifier.name.lower()


def table_references(sql: str, origin: str) -> tuple[list[Reference], set[str]]:
    """Every table the statement names, and the names its CTEs define."""
    parsed = _parse_references(sql)
    if isinstance(parsed, str):
        raise ModelError(f"{origin}: {parsed}")
    references, ctes = parsed
    return list(references), set(ctes)


@functools.lru_cache(maxsize=4096)
def _parse_references(sql: str) -> tuple[tuple[Reference, ...], frozenset[str]] | str:
    """The statement's references and CTE names, or what is wrong with it.

    sqlglot's parser is the dearest part of a build that changes little (about a second of a
    nightly run's seven, profiled with py-spy), and a build read each check's text twice: when
    the project is loaded and when the check runs. A process that builds more than once (a
    Dagster deployment, the tests) read every text again each time. Each text is parsed once.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except ParseError as exc:
        return f"cannot parse the SQL: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return f"expected one select statement, found {len(statements)}"
    tree = statements[0]
    ctes = frozenset(cte.alias_or_name for cte in tree.find_all(exp.CTE))
    references = tuple(ref for t in tree.find_all(exp.Table) if (ref := _reference(t)) is not None)
    return references, ctes


def classify(
    references: Iterable[Reference],
    ctes: set[str],
    models: Iterable[str],
    raw_tables: Iterable[tuple[str, str]],
    origin: str,
) -> tuple[set[str], set[tuple[str, str]]]:
    """Split references into models and raw tables; fail on names that are neither.

    A bare name that is not a CTE must be a model, and a raw table must be declared, so a
    typo fails at load time rather than as a DuckDB error halfway through a build. Other
    schemas (information_schema, DuckDB's `recurring` key table) pass through untouched.
    """
    model_names, declared = set(models), set(raw_tables)
    raw = {schema for schema, _ in declared}
    depends: set[str] = set()
    sources: set[tuple[str, str]] = set()
    for ref in references:
        if ref.schema == "" and ref.name in ctes:
            if ref.name in model_names:
                raise ModelError(f"{origin}: the CTE {ref.name!r} has a model's name; rename it")
            continue
        if ref.schema in ("", TARGET_SCHEMA, internal_schema(TARGET_SCHEMA)):
            if ref.name not in model_names:
                raise ModelError(f"{origin}: refers to {ref.name!r}, which is not a model")
            depends.add(ref.name)
        elif ref.schema in raw:
            if (ref.schema, ref.name) not in declared:
                raise ModelError(
                    f"{origin}: reads {ref.schema}.{ref.name}, which no _{ref.schema}__sources.toml"
                    " declares"
                )
            sources.add((ref.schema, ref.name))
    return depends, sources


def rewrite(
    sql: str, references: Iterable[Reference], targets: Mapping[tuple[str, str], str]
) -> str:
    """Point references at other relations by editing only their spans in the original text.

    Splicing text, rather than regenerating SQL from sqlglot's tree, runs exactly the SQL
    the author wrote apart from the table names.
    """
    pieces: list[str] = []
    position = 0
    for ref in sorted(references, key=lambda r: r.start):
        target = targets.get((ref.schema, ref.name))
        if target is None:
            continue
        pieces.append(sql[position : ref.start])
        pieces.append(target)
        position = ref.end
    pieces.append(sql[position:])
    return "".join(pieces)


def internal_schema(schema: str) -> str:
    """Where the staging and intermediate models of a build into `schema` go."""
    return f"{schema}{INTERNAL_SUFFIX}"


def model_targets(
    names: Iterable[str], schema: str, internal: Iterable[str] = ()
) -> dict[tuple[str, str], str]:
    """Where each spelling of a model reference should point during a build: `internal`
    models in the internal schema, the others in `schema`."""
    inside = set(internal)
    targets: dict[tuple[str, str], str] = {}
    for name in names:
        home = internal_schema(schema) if name in inside else schema
        qualified = f"{quote(home)}.{quote(name)}"
        for spelling in ("", TARGET_SCHEMA, internal_schema(TARGET_SCHEMA)):
            targets[(spelling, name)] = qualified
    return targets


def _read_model(path: Path, root: Path, layer: str | None = None) -> tuple[str, str, str, str, str]:
    relative = path.relative_to(root)
    if layer is None:
        layer = relative.parts[0] if len(relative.parts) > 1 else ""
        if layer not in LAYERS:
            raise ModelError(f"{relative}: models live under {', '.join(LAYERS)}/")
    text = path.read_text(encoding="utf-8")
    description, toml = split_header(text)
    sql = text.strip().rstrip(";").rstrip()
    return path.stem, layer, sql, description, toml


def user_models_dir() -> Path | None:
    """The folder of a user's own models: `CIVIC_ETL_MODELS_DIR`, when it is set."""
    value = os.environ.get(MODELS_DIR_VAR, "").strip()
    return Path(value).expanduser() if value else None


def _model_files(root: Path, user_root: Path | None) -> list[tuple[Path, Path, str | None]]:
    """Every model file: (path, folder it is named relative to, layer or None to read it from
    the path). A user's models may sit anywhere in their folder."""
    files: list[tuple[Path, Path, str | None]] = [
        (path, root, None) for path in sorted(root.rglob("*.sql"))
    ]
    if user_root is not None:
        if not user_root.is_dir():
            raise ModelError(f"{MODELS_DIR_VAR}={user_root}: no such folder")
        files += [(path, user_root, USER_LAYER) for path in sorted(user_root.rglob("*.sql"))]
    return files


def load_models(
    root: Path | None = None,
    raw_tables: Iterable[tuple[str, str]] = (),
    user_root: Path | None = None,
) -> dict[str, Model]:
    """Every `*.sql` under the layer folders, and every one in `user_root` (a user's own
    models), parsed, with checks and dependencies resolved. A user's model may read the
    project's models and other user models; the project's models never read a user's."""
    root = root or TRANSFORMS_DIR
    raw = frozenset(raw_tables)
    read: dict[str, tuple[Path, str, str, str, str, str]] = {}
    for path, base, layer in _model_files(root, user_root):
        origin = str(path.relative_to(base) if layer is None else path)
        name, layer, sql, description, toml = _read_model(path, base, layer)
        if name in read:
            raise ModelError(f"two models are named {name!r}: {read[name][5]} and {origin}")
        read[name] = (path, layer, sql, description, toml, origin)
    project = {name for name, entry in read.items() if entry[1] != USER_LAYER}
    models: dict[str, Model] = {}
    for name, (path, layer, sql, description, toml, origin) in read.items():
        readable = read if layer == USER_LAYER else project
        references, ctes = table_references(sql, origin)
        depends, sources = classify(references, ctes, readable, raw, origin)
        try:
            header = tomllib.loads(toml) if toml else {}
            stray = sorted(set(header) - {"checks"})
            if stray:
                raise CheckDeclarationError(f"{stray} outside [checks] (write [checks.<kind>])")
            checks = parse_checks(name, header.get("checks", {}))
        except (tomllib.TOMLDecodeError, CheckDeclarationError) as exc:
            raise ModelError(f"{origin}: bad [checks] block: {exc}") from None
        for check in checks:
            check_refs, check_ctes = table_references(check.sql, f"{origin} {check.name}")
            classify(check_refs, check_ctes, readable, raw, f"{origin} {check.name}")
        models[name] = Model(
            name=name,
            layer=layer,
            path=path,
            sql=sql,
            description=description,
            checks=tuple(checks),
            depends_on=frozenset(depends),
            sources=frozenset(sources),
            references=tuple(references),
        )
    return models


def build_order(models: Mapping[str, Model]) -> list[str]:
    """Models so that each comes after everything it reads; the project's first, then a user's
    (so theirs are built after the marts), ties broken by layer, then name."""
    order: list[str] = []
    for phase in (False, True):
        names = {name for name, model in models.items() if (model.layer == USER_LAYER) is phase}
        order += _ordered(models, names)
    return order


def _ordered(models: Mapping[str, Model], names: set[str]) -> list[str]:
    """`names` in dependency order; what they read outside `names` is built before them."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in names:
        sorter.add(name, *(other for other in models[name].depends_on if other in names))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])
        raise CycleError(f"models read each other in a cycle: {' -> '.join(cycle)}") from None
    rank = {layer: index for index, layer in enumerate((*LAYERS, USER_LAYER))}
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: (rank[models[n].layer], n))
        order.extend(ready)
        sorter.done(*ready)
    return order

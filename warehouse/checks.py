"""What each model declares must hold of it, as SQL that counts the rows breaking the rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("unique", "not_null", "accepted_values", "relationships", "expect", "row_count", "equal")


class CheckDeclarationError(ValueError):
    """A `[checks]` block that cannot be read: unknown kind, wrong shape."""


@dataclass(frozen=True)
class Check:
    """One rule about one model. `sql` returns one row: (problems, example, expected).

    `problems` is 0 when the rule holds; otherwise how many rows (or keys) break it, and
    `example` one offending value (the smallest: `any_value` is not in PostgreSQL 15), so a
    failure message says what to look at first. Subqueries are named, as PostgreSQL 15 needs.
    """

    model: str
    kind: str
    label: str
    sql: str

    @property
    def name(self) -> str:
        return f"{self.kind}({self.label})"


@dataclass(frozen=True)
class CheckFailure:
    """A check that did not hold after a build."""

    model: str
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.model}: check {self.check} failed: {self.detail}"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _columns(spec: str | list[str]) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec)


def _unique(model: str, spec: str | list[str]) -> Check:
    cols = _columns(spec)
    key = ", ".join(quote(c) for c in cols)
    shown = " || ', ' || ".join(f"cast({quote(c)} as varchar)" for c in cols)
    present = " and ".join(f"{quote(c)} is not null" for c in cols)
    # As SQL's UNIQUE: a key with a null in it equals nothing, so it is not a duplicate.
    sql = (
        f"select count(*), min(shown), null from (select {shown} as shown "
        f"from {quote(model)} where {present} group by {key} having count(*) > 1) as dupes"
    )
    return Check(model, "unique", ", ".join(cols), sql)


def _not_null(model: str, column: str) -> Check:
    sql = f"select count(*), null, null from {quote(model)} where {quote(column)} is null"
    return Check(model, "not_null", column, sql)


def _accepted_values(model: str, column: str, values: list[Any]) -> Check:
    allowed = ", ".join(literal(v) for v in values)
    sql = (
        f"select count(*), min(cast({quote(column)} as varchar)), null "
        f"from {quote(model)} where {quote(column)} not in ({allowed})"
    )
    return Check(model, "accepted_values", column, sql)


def _relationships(model: str, column: str, target: str) -> Check:
    other, _, other_column = target.partition(".")
    if not other_column:
        raise CheckDeclarationError(f"relationships.{column} must name `model.column`: {target!r}")
    sql = (
        f"select count(*), min(cast(m.{quote(column)} as varchar)), null "
        f"from {quote(model)} as m where m.{quote(column)} is not null and not exists ("
        f"select 1 from {quote(other)} as o where o.{quote(other_column)} = m.{quote(column)})"
    )
    return Check(model, "relationships", f"{column} -> {target}", sql)


def _expect(model: str, label: str, condition: str) -> Check:
    sql = (
        f"select count(*), null, null from {quote(model)} where not coalesce(({condition}), false)"
    )
    return Check(model, "expect", label, sql)


def _row_count(model: str, label: str, expected: str) -> Check:
    sql = (
        f"select case when actual = expected then 0 else 1 end, "
        f"cast(actual as varchar) || ' rows', cast(expected as varchar) from ("
        f"select (select count(*) from {quote(model)}) as actual, ({expected}) as expected)"
        " as counts"
    )
    return Check(model, "row_count", label, sql)


def _equal(model: str, label: str, sides: list[str]) -> Check:
    if len(sides) != 2:
        raise CheckDeclarationError(f"equal.{label!r} needs two SQL expressions, got {len(sides)}")
    sql = (
        f"select case when lhs is not distinct from rhs then 0 else 1 end, "
        f"cast(lhs as varchar), cast(rhs as varchar) from ("
        f"select ({sides[0]}) as lhs, ({sides[1]}) as rhs) as sides"
    )
    return Check(model, "equal", label, sql)


def _table(kind: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CheckDeclarationError(f"{kind} must be a table of column or label = value")
    return value


def parse_checks(model: str, declared: Mapping[str, Any]) -> list[Check]:
    """Turn a model's `[checks]` table into checks, in the order the kinds are listed above."""
    unknown = set(declared) - set(KINDS)
    if unknown:
        raise CheckDeclarationError(f"unknown check kind(s) {sorted(unknown)}; known: {KINDS}")
    checks: list[Check] = []
    for spec in declared.get("unique", []):
        checks.append(_unique(model, spec))
    for column in declared.get("not_null", []):
        checks.append(_not_null(model, column))
    for column, values in _table("accepted_values", declared.get("accepted_values", {})).items():
        checks.append(_accepted_values(model, column, list(values)))
    for column, target in _table("relationships", declared.get("relationships", {})).items():
        checks.append(_relationships(model, column, str(target)))
    for label, condition in _table("expect", declared.get("expect", {})).items():
        checks.append(_expect(model, label, str(condition)))
    for label, expected in _table("row_count", declared.get("row_count", {})).items():
        checks.append(_row_count(model, label, str(expected)))
    for label, sides in _table("equal", declared.get("equal", {})).items():
        checks.append(_equal(model, label, list(sides)))
    return checks


def describe_failure(check: Check, problems: int, example: Any, expected: Any) -> CheckFailure:
    """Say what broke in words a person acts on: how many, and one value to look up."""
    if check.kind == "unique":
        detail = f"{problems} duplicated key(s), e.g. {example}"
    elif check.kind == "row_count":
        detail = f"{example}, expected {expected}"
    elif check.kind == "equal":
        detail = f"{example} != {expected}"
    elif example is not None:
        detail = f"{problems} row(s), e.g. {example}"
    else:
        detail = f"{problems} row(s)"
    return CheckFailure(check.model, check.name, detail)

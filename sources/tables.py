"""Records to Arrow tables with a declared schema: typed columns, unknown attributes typed by name.

Both sources describe each table as a mapping of column name to a short type code and let this
module do the coercion, so a value that arrives as "42" in an integer column, or a timestamp
with an offset, lands with the declared type instead of failing the load later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TTableSchemaColumns

ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.int64(),
    "int": pa.int64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "ts": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "json": pa.string(),
}
# How a declared type arrives in JSON when the API keeps to its type: read in one pass in C++
# (`_wire_arrays`), then cast. Timestamps and dates come as text; integers are read as numbers
# and cast safely, which refuses 1.5 where a plain int64 read would truncate it.
WIRE_TYPES: dict[str, pa.DataType] = {
    "int": pa.float64(),
    "str": pa.string(),
    "bool": pa.bool_(),
    "float": pa.float64(),
    "ts": pa.string(),
    "date": pa.string(),
}
TRUE_STRINGS = frozenset({"true", "t", "1", "yes"})
FALSE_STRINGS = frozenset({"false", "f", "0", "no", ""})


class RecordError(ValueError):
    """A value that cannot be read as its column's declared type."""


def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 with an offset or `Z`, or a bare date; always returned in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise RecordError(f"not a timestamp: {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _to_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise RecordError(f"not an integer: {value!r}") from exc


def _to_float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"not a number: {value!r}") from exc


def _to_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_STRINGS:
        return True
    if text in FALSE_STRINGS:
        return False
    raise RecordError(f"not a boolean: {value!r}")


def _to_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value).lower() if isinstance(value, bool) else str(value)


def _to_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise RecordError(f"not a date: {value!r}") from exc


def _to_json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "id": _to_int,
    "int": _to_int,
    "str": _to_str,
    "bool": _to_bool,
    "float": _to_float,
    "ts": parse_timestamp,
    "date": _to_date,
    "json": _to_json,
}


def arrow_schema(columns: Mapping[str, str], primary_key: Iterable[str]) -> pa.Schema:
    """The declared schema; primary key columns are non-nullable, as dlt's merge needs."""
    keys = set(primary_key)
    return pa.schema(
        [
            pa.field(name, ARROW_TYPES[code], nullable=name not in keys)
            for name, code in columns.items()
        ]
    )


def dlt_hints(
    columns: Mapping[str, str], primary_key: Iterable[str], *, merged: bool = True
) -> TTableSchemaColumns:
    """dlt column hints: JSON columns, non-null keys, and (merged tables) the newest row wins.

    `dedup_sort` is left off replaced tables, where dlt ignores it with a warning every run.
    """
    hints: dict[str, dict[str, Any]] = {}
    for name, code in columns.items():
        if code == "json":
            hints[name] = {"data_type": "json"}
    for key in primary_key:
        hints.setdefault(key, {})["nullable"] = False
    for cursor in ("updated_at", "modified_at"):
        if merged and cursor in columns:
            hints.setdefault(cursor, {})["dedup_sort"] = "desc"
    return cast(TTableSchemaColumns, hints)


def _column(name: str, code: str, values: list[Any]) -> pa.Array:
    arrow_type = ARROW_TYPES[code]
    # pyarrow truncates a fractional float in an integer column (1.5 -> 1) without a word
    fractional = code == "int" and any(isinstance(v, float) for v in values)
    if code in ("str", "int", "bool", "float") and not fractional:
        try:  # the common case, converted in C; fall back to coercion value by value
            return pa.array(values, type=arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    convert = CONVERTERS[code]
    converted = []
    for value in values:
        try:
            converted.append(convert(value))
        except RecordError as exc:
            raise RecordError(f"column {name}: {exc}") from exc
    try:
        return pa.array(converted, type=arrow_type)
    except (pa.ArrowInvalid, OverflowError) as exc:
        raise RecordError(f"column {name}: {exc}") from exc


def named_type(key: str) -> str:
    """The type code an undeclared attribute's name promises, by the APIs' naming habits:
    `*_in_cents` and `*_count` integer, `*_at` timestamp, `is_*` boolean; text otherwise."""
    if key.endswith(("_in_cents", "_count")):
        return "int"
    if key.endswith("_at"):
        return "ts"
    if key.startswith("is_"):
        return "bool"
    return "str"


def _extra_column(key: str, values: list[Any]) -> pa.Array:
    """An undeclared attribute's column: typed by its name, or text when any value on this page
    disagrees with that type (so a misnamed field still lands, as it did before)."""
    code = named_type(key)
    agrees = code != "str" and not (
        code == "int" and any(isinstance(value, bool) for value in values)
    )
    if agrees:
        try:  # the values keep to their JSON type: read in C++
            return _from_wire(pa.array(values, type=WIRE_TYPES[code]), code)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            pass
        convert = CONVERTERS[code]
        try:
            return pa.array([convert(value) for value in values], type=ARROW_TYPES[code])
        except (RecordError, pa.ArrowInvalid, OverflowError):
            pass
    return pa.array([_to_str(value) for value in values], type=pa.string())


def _from_wire(array: pa.Array, code: str) -> pa.Array:
    if code == "int":
        return pc.cast(array, pa.int64())
    if code == "ts":
        return pc.cast(array, ARROW_TYPES["ts"])
    if code == "date":
        return pc.cast(pc.utf8_slice_codeunits(array, 0, 10), pa.date32())
    return array


def _wire_arrays(rows: list[dict[str, Any]], columns: Mapping[str, str]) -> dict[str, pa.Array]:
    """The declared columns of a page whose values keep to their JSON types, converted in one
    pass in C++; empty when some value does not (the page then goes column by column), and a
    column that does not cast (a bare date among timestamps) is left out to go that way."""
    names = [name for name, code in columns.items() if code in WIRE_TYPES]
    wire = pa.struct([pa.field(name, WIRE_TYPES[columns[name]]) for name in names])
    try:
        struct = pa.array(rows, type=wire)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return {}
    arrays: dict[str, pa.Array] = {}
    for name, array in zip(names, struct.flatten(), strict=True):
        try:
            arrays[name] = _from_wire(array, columns[name])
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return arrays


def to_table(rows: list[dict[str, Any]], columns: Mapping[str, str], schema: pa.Schema) -> pa.Table:
    """Build one page's table: declared columns typed, unknown keys appended typed by name.

    Unknown attributes are kept (schema evolution), so a field the APIs add tomorrow lands
    without a code change: typed as its name promises (`named_type`) when every value on the
    page reads as that type, else as text (JSON-encoded when nested). One that is null on every
    record of the page is kept too, typed by its name. A column that already landed as text keeps
    its type in the warehouse: dlt keeps the loaded type and the destination casts to it.
    """
    read = _wire_arrays(rows, columns)
    arrays = [
        read[name] if name in read else _column(name, code, [row.get(name) for row in rows])
        for name, code in columns.items()
    ]
    fields = list(schema)
    extra = sorted(set().union(*rows) - set(columns))
    for key in extra:
        array = _extra_column(key, [row.get(key) for row in rows])
        arrays.append(array)
        fields.append(pa.field(key, array.type))
    for index, field in enumerate(fields):
        if not field.nullable and arrays[index].null_count:
            raise RecordError(
                f"column {field.name}: missing in {arrays[index].null_count} record(s)"
            )
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# Rows per table handed to dlt: its cost is per table (schema checks, a write per item), so
# pages gathered into tables of about this many rows extract several times faster.
BATCH_ROWS = 1000


async def in_batches(
    pages: AsyncIterator[pa.Table], rows: int = BATCH_ROWS
) -> AsyncIterator[pa.Table]:
    """Consecutive pages gathered into tables of about `rows` rows, in page order; a page with
    other columns (an attribute only it has) starts a new table rather than widening one."""
    held: list[pa.Table] = []
    count = 0
    async for page in pages:
        if held and page.schema != held[0].schema:
            yield pa.concat_tables(held)
            held, count = [], 0
        held.append(page)
        count += page.num_rows
        if count >= rows:
            yield pa.concat_tables(held)
            held, count = [], 0
    if held:
        yield pa.concat_tables(held)

"""Turn any failure into the one line a person needs: what failed and what to do."""

from __future__ import annotations

import os
import tomllib

from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTrace
from dlt.common.configuration.providers.toml import TomlProviderReadException

from sources.http import ApiError
from sources.http.errors import one_line
from warehouse.duckdb_loads import out_of_memory
from warehouse.filehold import held_by


def _setting_names(error: ConfigFieldMissingException) -> list[str]:
    """The environment variable of each missing field as the README spells them, found among
    the keys dlt looked up: the one at the source's own section (`SOURCES__<SOURCE>__<FIELD>`)."""
    names = []
    for field, traces in error.traces.items():
        keys = [
            t.key
            for t in traces
            if isinstance(t, LookupTrace) and t.provider == "Environment Variables"
        ]
        own = [key for key in keys if key.startswith("SOURCES__") and key.count("__") == 2]
        names.append((own or keys or [field])[0])
    return names


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def one_line_error(exc: BaseException) -> str:
    """Prefer our typed API errors, then missing configuration, then the innermost message."""
    chain = _chain(exc)
    for error in chain:
        if isinstance(error, ApiError):
            # Already one bounded line (the server's part is cut, not the hint that follows).
            return " ".join(str(error).split())
    for error in chain:
        holder = held_by(error)
        if holder:
            return f"the warehouse file was open in {holder}, another session"
    for error in chain:
        if isinstance(error, ConfigFieldMissingException):
            names = _setting_names(error)
            where = "set it in .dlt/secrets.toml or the environment"
            return f"missing configuration: {', '.join(names)} ({where})"
    innermost = chain[-1]
    if (memory := out_of_memory(innermost)) is not None:
        return one_line(memory)
    return one_line(f"{type(innermost).__name__}: {innermost}")


def malformed_settings_file(exc: BaseException) -> str | None:
    """The one line for a `.dlt/*.toml` that is not TOML: which file, where, and the fix;
    None when `exc` is about something else. (dlt names only the folders it read.)"""
    error = next((e for e in _chain(exc) if isinstance(e, TomlProviderReadException)), None)
    if error is None:
        return None
    for path in error.full_paths:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, "rb") as handle:
                tomllib.load(handle)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
            return f"{os.path.abspath(path)} is not valid TOML ({problem}): fix or remove it"
        except OSError as problem:
            return f"cannot read {path}: {problem.strerror}"
    paths = ", ".join(error.full_paths)
    return f"a dlt settings file ({error.file_name} in {paths}) could not be read: fix it"

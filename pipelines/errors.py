"""Turn any failure into the one line a person needs: what failed and what to do."""

from __future__ import annotations

from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTrace

from sources.http import ApiError
from sources.http.errors import one_line
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
            return one_line(str(error))
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
    return one_line(f"{type(innermost).__name__}: {innermost}")

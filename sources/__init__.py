"""The sources, each a package that describes itself once (see sources/spec.py)."""

from __future__ import annotations

from sources.spec import SourceSpec


def specs() -> tuple[SourceSpec, ...]:
    """Every source the job can extract, in the order runs and summaries list them."""
    from sources.action_network import SPEC as ACTION_NETWORK
    from sources.nationbuilder import SPEC as NATIONBUILDER

    return (NATIONBUILDER, ACTION_NETWORK)


def spec_named(name: str) -> SourceSpec:
    """The spec of a source by its name; KeyError for an unknown one."""
    found = {spec.name: spec for spec in specs()}
    return found[name]

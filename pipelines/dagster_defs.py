"""The job as Dagster assets (`pip install 'civic-etl[dagster]'`): one asset group per source,
partitioned by account, the marts downstream, the models' checks as asset checks, daily schedules.

Each partition runs our own `pipelines.api.extract` for one account (its pipeline, its state in
the warehouse, its limiter), so Dagster fans accounts out over its workers exactly as
`civic-etl extract --account X` would; dagster-dlt's asset factory would bypass the repairs,
deletions and run log the job does around dlt. Point Dagster at `pipelines.dagster_defs:defs`.
Accounts are read from the configuration when the definitions are built, not at import.
"""

# No `from __future__ import annotations`: Dagster reads the `context` annotation as a class.
import os
from typing import Any

import dagster as dg

from pipelines import api
from pipelines.accounts import Account
from pipelines.config import choose_sources, plan_accounts
from warehouse.transform import check_built, load_project

MARTS = "marts"
# Accounts land through the night; the marts are built once after them.
EXTRACT_CRON = "0 2 * * *"
TRANSFORM_CRON = "0 5 * * *"


def warehouse_path() -> str | None:
    """`CIVIC_ETL_WAREHOUSE` when the run starts (the default DuckDB file otherwise)."""
    return os.environ.get("CIVIC_ETL_WAREHOUSE")


def _extract_asset(source: str, accounts: list[Account]) -> dg.AssetsDefinition:
    partitions = dg.StaticPartitionsDefinition([account.name for account in accounts])

    @dg.asset(name=source, group_name=source, partitions_def=partitions)
    def extract_account(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        summary = api.extract([f"{source}:{context.partition_key}"], warehouse=warehouse_path())
        if not summary.ok:
            raise dg.Failure(description=str(summary.error))
        rows = sum(sum(run.rows.values()) for run in summary.sources)
        return dg.MaterializeResult(metadata={"rows": rows})

    return extract_account


def _marts_asset(sources: list[str], models: list[str]) -> dg.AssetsDefinition:
    checks = [dg.AssetCheckSpec(name=model, asset=MARTS) for model in models]

    @dg.asset(name=MARTS, group_name="analytics", deps=sources, check_specs=checks)
    def marts() -> Any:
        summary = api.transform(warehouse=warehouse_path())
        if not summary.ok:
            raise dg.Failure(description=str(summary.error))
        yield dg.MaterializeResult()
        where = api.resolve(warehouse_path())
        for model in models:
            ran, failures = check_built(where, model)
            yield dg.AssetCheckResult(
                check_name=model,
                passed=not failures,
                metadata={"checks": ran, "failed": "; ".join(map(str, failures))},
            )

    return marts


def _schedule(job: Any, keys: list[str]) -> dg.ScheduleDefinition:
    @dg.schedule(name=f"{job.name}_daily", job=job, cron_schedule=EXTRACT_CRON)
    def every_account() -> list[dg.RunRequest]:
        return [dg.RunRequest(run_key=None, partition_key=key) for key in keys]

    return every_account


def build_definitions() -> dg.Definitions:
    """Assets, checks, jobs and schedules for the sources and accounts configured now."""
    specs, _notes = choose_sources(None)
    by_source: dict[str, list[Account]] = {}
    for account in plan_accounts(specs):
        by_source.setdefault(account.source, []).append(account)
    assets = [_extract_asset(source, accounts) for source, accounts in by_source.items()]
    models = [name for name, model in load_project().models.items() if model.checks]
    assets.append(_marts_asset(list(by_source), models))
    jobs = [dg.define_asset_job(f"extract_{source}", selection=[source]) for source in by_source]
    marts_job = dg.define_asset_job("build_marts", selection=[MARTS])
    schedules = [
        _schedule(job, [account.name for account in by_source[source]])
        for job, source in zip(jobs, by_source, strict=True)
    ]
    schedules.append(
        dg.ScheduleDefinition(name="build_marts_daily", job=marts_job, cron_schedule=TRANSFORM_CRON)
    )
    return dg.Definitions(assets=assets, jobs=[*jobs, marts_job], schedules=schedules)


def __getattr__(name: str) -> Any:
    """`defs`, built when Dagster asks for it, so the configuration is read then."""
    if name == "defs":
        return build_definitions()
    raise AttributeError(name)

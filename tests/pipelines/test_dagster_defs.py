"""The Dagster definitions, materialized in this process: every account partition of every
source, then the marts, into the real PostgreSQL server; the marts equal the simulators' truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.accounts import nations, nations_env
from tests.support.simulator import truth

dg = pytest.importorskip("dagster", reason="dagster not installed: pip install -e '.[dagster]'")

SEEDS = {"north": 41, "south": 42}
DATA = {"nb_signups": 80, "nb_donations": 30, "an_people": 5, "an_actions": 5}


def test_every_partition_then_the_marts_equal_the_truth(
    postgres_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg2

    from pipelines.dagster_defs import MARTS, build_definitions

    with nations(SEEDS, **DATA) as sims:
        env = nations_env(
            sims,
            CIVIC_ETL_DESTINATION="postgres",
            DESTINATION__POSTGRES__CREDENTIALS=postgres_dsn,
            CIVIC_ETL_WAREHOUSE=str(tmp_path / "state" / "civic.duckdb"),
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        defs = build_definitions()
        assets = list(defs.assets or [])
        instance = dg.DagsterInstance.ephemeral()
        nationbuilder = next(a for a in assets if a.key.to_user_string() == "nationbuilder")
        partitions = nationbuilder.partitions_def.get_partition_keys()
        assert sorted(partitions) == sorted(SEEDS)
        for key in partitions:
            done = dg.materialize(
                assets, selection=["nationbuilder"], partition_key=key, instance=instance
            )
            assert done.success, key
        built = dg.materialize(assets, selection=[MARTS], instance=instance)
        assert built.success
        truths = {name: truth(sim)["analytics"] for name, sim in sims.items()}
    evaluations = built.get_asset_check_evaluations()
    assert len(evaluations) >= 10
    assert all(evaluation.passed for evaluation in evaluations), [
        e.check_name for e in evaluations if not e.passed
    ]
    con = psycopg2.connect(postgres_dsn)
    try:
        with con.cursor() as cursor:
            cursor.execute(
                "select count(*) from analytics.donations where source = 'nationbuilder'"
            )
            donations = cursor.fetchone()[0]
            cursor.execute(
                "select count(*) from analytics.actions where action_type = 'event_rsvp'"
            )
            rsvps = cursor.fetchone()[0]
    finally:
        con.close()
    assert donations == sum(t["donations_count"]["nationbuilder"] for t in truths.values())
    assert rsvps == sum(t["actions"]["event_rsvp"] for t in truths.values())
    assert donations > 0 and rsvps > 0

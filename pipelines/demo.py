"""`make demo`: the whole job against the simulator, then questions answered from the marts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from simulator.server import serve_in_thread
from simulator.settings import SimConfig
from warehouse.segments import SegmentError, run_segment

DEMO_SIZES = {"nb_signups": 3_000, "nb_donations": 1_200, "an_people": 1_200, "an_actions": 3_000}
# The simulator enforces NationBuilder's real limit (250 requests / 10 s). Action Network's real
# 4 requests/s would make the demo wait about a minute, so the demo raises it on both sides.
DEMO_AN_RATE = 25.0

QUESTIONS: list[tuple[str, str]] = [
    (
        "People, and how many both systems know",
        "select count(*) as people,"
        " count(*) filter (where is_in_nationbuilder and is_in_action_network) as in_both"
        " from analytics.people",
    ),
    (
        "Signed 3+ petitions but never donated (first 5 of them)",
        "select p.first_name, p.last_name, p.primary_email, e.petitions_signed"
        " from analytics.person_engagement e join analytics.people p using (person_id)"
        " where e.petitions_signed >= 3 and e.donations_count = 0"
        " order by e.petitions_signed desc, p.last_name limit 5",
    ),
    (
        "Donations by source and currency",
        "select source, currency, count(*) as donations, sum(amount) as total"
        " from analytics.donations group by all order by source, currency",
    ),
    (
        "Actions by type",
        "select action_type, count(*) as actions"
        " from analytics.actions group by all order by 2 desc",
    ),
    (
        "Donations by week and source, the last weeks with any",
        "select date_trunc('week', donated_at)::date as week, source, currency,"
        " count(*) as donations, sum(amount) as total from analytics.donations"
        " group by all order by week desc, source, currency limit 12",
    ),
]


def print_answers(warehouse: Path) -> None:
    for title, sql in QUESTIONS:
        print(f"\n== {title}")
        try:
            names, rows = run_segment(warehouse, sql)
        except SegmentError as exc:
            print(f"   (not available: {exc})")
            continue
        print("   " + " | ".join(names))
        for row in rows:
            print("   " + " | ".join("" if value is None else str(value) for value in row))


def run_demo(warehouse_arg: str | None) -> int:
    """Start the simulator, run the nightly job into a fresh demo warehouse, show what it built."""
    from pipelines.runner import run_job
    from warehouse.location import resolve, state_dir

    warehouse = resolve(warehouse_arg or "data/demo.duckdb")
    warehouse.unlink(missing_ok=True)
    shutil.rmtree(state_dir(warehouse), ignore_errors=True)
    config = SimConfig(an_rate_per_s=DEMO_AN_RATE, an_burst=int(DEMO_AN_RATE))
    config.update(dict(DEMO_SIZES))
    print(
        f"demo: starting the API simulator ({DEMO_SIZES['nb_signups']} NationBuilder signups, "
        f"{DEMO_SIZES['an_people']} Action Network people)"
    )
    with serve_in_thread(config) as sim:
        os.environ.update(
            {
                "SOURCES__NATIONBUILDER__BASE_URL": sim.nationbuilder_url,
                "SOURCES__NATIONBUILDER__ACCESS_TOKEN": config.nb_token,
                "SOURCES__ACTION_NETWORK__BASE_URL": sim.action_network_url,
                "SOURCES__ACTION_NETWORK__API_KEY": config.an_keys[0],
                "SOURCES__ACTION_NETWORK__RATE_PER_SECOND": str(DEMO_AN_RATE),
            }
        )
        print(f"demo: running the whole job into {warehouse}")
        summary = run_job("run", warehouse, sources=["nationbuilder", "action_network"])
    print(summary.render())
    if not summary.ok:
        print(f"demo: the run failed: {summary.error}")
        return 1
    print_answers(warehouse)
    print(
        f"\ndemo: done. Ask it anything: civic-etl query --warehouse {warehouse}"
        ' "select count(*) from analytics.people"\n'
        f"      or: civic-etl status --warehouse {warehouse}"
    )
    return 0

"""Mart build time at scale: a synthetic raw warehouse made in DuckDB, built by the real runner.

The raw tables have the shapes dlt loads (ids, timestamps, JSON email lists, `deleted_at`), so
the same models run as in production. People: a third in both systems, a third in each one
alone, matched by email (some in another case or with spaces, some through a non-primary
address, a few NationBuilder signups with none). Actions spread over the seven action types;
donations are a twentieth of actions in each system. Values come from `hash()` of row numbers,
so every run builds the same warehouse.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from warehouse.transform import build

# Share of all actions per raw action table (they add up to 1).
ACTION_SHARES = {
    ("action_network", "signatures"): 0.30,
    ("action_network", "attendances"): 0.10,
    ("action_network", "submissions"): 0.10,
    ("action_network", "outreaches"): 0.10,
    ("action_network", "donations"): 0.05,
    ("nationbuilder", "petition_signatures"): 0.25,
    ("nationbuilder", "event_rsvps"): 0.10,
}
PARENTS = {"petitions": 200, "events": 100, "forms": 50, "fundraising_pages": 20}
START = "timestamptz '2023-01-01 00:00:00+00'"
DAYS = 1000

# Person i (0 <= i < people): i % 3 == 0 in both systems, 1 NationBuilder only, 2 Action Network
# only. The k-th person of a system, so actions can pick one at random within a system:
NB_PERSON = "(({k}) // 2) * 3 + ({k}) % 2"
AN_PERSON = "(({k}) // 2) * 3 + 2 * (({k}) % 2)"
AN_ID = "'action_network:' || md5('person' || ({i}))"


def _at(seed: str) -> str:
    """A timestamp within DAYS of START, picked by hashing `seed`."""
    return f"{START} + to_seconds(hash({seed}) % ({DAYS} * 86400))"


def _people_sql(people: int) -> list[str]:
    shared = "'person' || i || '@example.org'"
    nb_email = (
        f"case when i % 7 = 0 then upper({shared}) when i % 7 = 1 then '  ' || {shared} || ' ' "
        f"else {shared} end"
    )
    return [
        f"""
        create table nationbuilder.signups as
        select
            i + 1 as id,
            'First' || i % 977 as first_name,
            'Last' || i % 1009 as last_name,
            case
                when i % 3 = 1 and i % 25 = 1 then null
                when i % 3 = 0 and i % 10 = 0 then 'work.' || {shared}
                else {nb_email}
            end as email1,
            case when i % 3 = 0 and i % 10 = 0 then {nb_email} end as email2,
            cast(null as varchar) as email3,
            cast(null as varchar) as email4,
            email1 as email,
            case when email1 is not null then 1 end as primary_email_id,
            i % 4 = 0 as is_volunteer,
            {_at("i")} as created_at,
            created_at + interval 1 day as updated_at,
            case when i % 100 = 1 then {_at("i + 1")} end as deleted_at,
            '{{"chapter": "Tucson"}}'::json as custom_values
        from range({people}) as t(i)
        where i % 3 in (0, 1)
        """,
        f"""
        create table action_network.people as
        select
            {AN_ID.format(i="i")} as id,
            'First' || i % 977 as given_name,
            'Last' || i % 1009 as family_name,
            case when i % 10 = 3 then 'alt.' || {shared} else {shared} end as primary_email,
            case
                when i % 10 = 3 then json_array(
                    json_object('primary', true, 'address', 'alt.' || {shared},
                        'status', 'subscribed'),
                    json_object('primary', false, 'address', {nb_email}, 'status', 'subscribed')
                )
                else json_array(
                    json_object('primary', true, 'address', {nb_email}, 'status', 'subscribed')
                )
            end as email_addresses,
            {_at("i + 2")} as created_at,
            created_at + interval 2 day as modified_at
        from range({people}) as t(i)
        where i % 3 in (0, 2)
        """,
    ]


def _parents_sql() -> list[str]:
    statements = []
    for table, count in PARENTS.items():
        currency = ", case when n % 4 = 3 then 'CAD' else 'USD' end as currency"
        extra = currency if table == "fundraising_pages" else ""
        statements.append(
            f"""
            create table action_network.{table} as
            select
                'action_network:' || md5('{table}' || n) as id,
                '{table} ' || n as title,
                'internal ' || n as name,
                {_at("n")} as created_at,
                {_at("n")} as modified_at
                {extra}
            from range({count}) as t(n)
            """
        )
    statements.append(
        "create table action_network.advocacy_campaigns as select * from action_network.forms"
    )
    statements.append(
        "create table nationbuilder.petitions as "
        "select n + 1 as id, 200 + n as page_id, 'Petition ' || n as intro, 1000 as goal "
        "from range(50) as t(n)"
    )
    statements.append(
        "create table nationbuilder.events as "
        f"select n + 1 as id, 100 + n as page_id, 'Hall ' || n as venue_name, "
        f"{_at('n')} as start_at, 3600 as duration from range(100) as t(n)"
    )
    return statements


def _actions_sql(people: int, actions: int) -> list[str]:
    in_class = [(people - r + 2) // 3 for r in range(3)]  # how many i have i % 3 == r
    nb_people, an_people = in_class[0] + in_class[1], in_class[0] + in_class[2]
    statements = []
    for (schema, table), share in ACTION_SHARES.items():
        rows = int(actions * share)
        if schema == "action_network":
            parent, key = {
                "signatures": ("petitions", "petition_id"),
                "attendances": ("events", "event_id"),
                "submissions": ("forms", "form_id"),
                "outreaches": ("advocacy_campaigns", "advocacy_campaign_id"),
                "donations": ("fundraising_pages", "fundraising_page_id"),
            }[table]
            person = AN_PERSON.format(k=f"hash(a, 'p') % {an_people}")
            parent_count = PARENTS.get(parent, PARENTS["forms"])
            extra = (
                ", (500 + hash(a, 'c') % 20000)::bigint as amount_cents, "
                "case when a % 10 = 0 then 'usd' else 'USD' end as currency, "
                "a % 5 = 0 as is_recurring, "
                "case when a % 5 = 0 then 'Monthly' end as recurrence_period"
                if table == "donations"
                else ""
            )
            statements.append(
                f"""
                create table action_network.{table} as
                select
                    'action_network:' || md5('{table}' || a) as id,
                    {AN_ID.format(i=person)} as person_id,
                    'action_network:' || md5('{parent}' || hash(a, 'q') % {parent_count})
                        as {key},
                    {_at("a")} as created_at,
                    {_at("a")} as modified_at
                    {extra}
                from range({rows}) as t(a)
                """
            )
        else:
            person = NB_PERSON.format(k=f"hash(a, 'p') % {nb_people}")
            parent_key, parents = (
                ("petition_id", 50) if table == "petition_signatures" else ("event_id", 100)
            )
            statements.append(
                f"""
                create table nationbuilder.{table} as
                select
                    a + 1 as id,
                    hash(a, 'q') % {parents} + 1 as {parent_key},
                    {person} + 1 as signup_id,
                    {_at("a")} as created_at,
                    {_at("a")} as updated_at,
                    case when a % 200 = 7 then {_at("a + 3")} end as deleted_at
                from range({rows}) as t(a)
                """
            )
    donations = int(actions * ACTION_SHARES[("action_network", "donations")])
    person = NB_PERSON.format(k=f"hash(d, 'p') % {nb_people}")
    statements.append(
        f"""
        create table nationbuilder.donations as
        select
            d + 1 as id,
            {person} + 1 as signup_id,
            (500 + hash(d, 'c') % 20000)::bigint as amount_in_cents,
            case when d % 20 = 0 then 'pending' else 'succeeded' end as status,
            d % 12 + 1 as page_id,
            'Credit Card' as payment_type_name,
            {_at("d")} as created_at,
            case when status = 'succeeded' then created_at + interval 5 second end
                as succeeded_at,
            created_at + interval 5 second as updated_at,
            case when d % 100 = 5 then {_at("d + 9")} end as deleted_at
        from range({donations}) as t(d)
        """
    )
    statements.append(
        "create table nationbuilder.lists as "
        f"select n + 1 as id, 'List ' || n as name, 'list_' || n as slug, 1 as author_id, "
        f"0 as signups_count, {_at('n')} as created_at, {_at('n')} as updated_at, "
        "cast(null as timestamptz) as deleted_at from range(30) as t(n)"
    )
    memberships = NB_PERSON.format(k=f"hash(m, 'p') % {nb_people}")
    statements.append(
        "create table nationbuilder.list_signups as "
        f"select distinct hash(m, 'l') % 30 + 1 as list_id, {memberships} + 1 as signup_id, "
        f"cast(null as timestamptz) as deleted_at from range({people // 2}) as t(m)"
    )
    return statements


def generate_warehouse(con: duckdb.DuckDBPyConnection, people: int, actions: int) -> None:
    """Fill `nationbuilder` and `action_network` with raw tables for `people` and `actions`."""
    con.execute("create schema if not exists nationbuilder")
    con.execute("create schema if not exists action_network")
    for statement in _people_sql(people) + _parents_sql() + _actions_sql(people, actions):
        con.execute(statement)


def run_marts_bench(people: int = 1_000_000, actions: int = 5_000_000) -> dict[str, Any]:
    """Generate a warehouse of that size in a temporary file, build the marts, time each model."""
    with tempfile.TemporaryDirectory(prefix="marts-bench-") as folder:
        path = Path(folder) / "bench.duckdb"
        with duckdb.connect(str(path)) as con:
            started = time.perf_counter()
            generate_warehouse(con, people, actions)
            generated = time.perf_counter() - started
            result = build(con)
            people_built = con.execute("select count(*) from analytics.people").fetchone()
            actions_built = con.execute("select count(*) from analytics.actions").fetchone()
        size_mb = path.stat().st_size / 1e6
    report: dict[str, Any] = {
        "people": people,
        "actions": actions,
        "people_built": people_built[0] if people_built else 0,
        "actions_built": actions_built[0] if actions_built else 0,
        "generate_seconds": round(generated, 2),
        "build_seconds": round(result.seconds, 2),
        "checks_seconds": round(result.checks_seconds, 2),
        "checks_run": result.checks_run,
        "publish_seconds": round(result.publish_seconds, 2),
        "warehouse_mb": round(size_mb, 1),
        "models": {run.name: round(run.seconds, 2) for run in result.models},
    }
    print(result.render())
    return report


if __name__ == "__main__":
    import json
    import sys

    sizes = [int(arg) for arg in sys.argv[1:3]]
    print(json.dumps(run_marts_bench(*sizes), indent=2))

"""Several accounts per source: their raw schemas unioned, ids kept apart, people merged."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.transform import build


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """Two nations with the same signup and list ids; the same email in both, and in AN."""
    con = duckdb.connect(":memory:")
    for schema in ("nationbuilder", "nationbuilder_account_north"):
        con.execute(f"create schema {schema}")
        con.execute(
            f"create table {schema}.signups as select * from (values "
            "(1::bigint, 'maya@x.org', timestamptz '2024-01-01'), "
            f"(2::bigint, '{schema}.only@x.org', timestamptz '2024-01-02')) "
            "as t(id, email, created_at)"
        )
        con.execute(f"create table {schema}.lists as select 7::bigint as id, 'volunteers' as name")
        con.execute(
            f"create table {schema}.list_signups as select 7::bigint as list_id, "
            "1::bigint as signup_id"
        )
    con.execute("create schema action_network_account_east")
    con.execute(
        "create table action_network_account_east.people as select "
        "'action_network:aaa' as id, ' Maya@X.org' as primary_email, "
        "timestamptz '2024-02-01' as created_at"
    )
    return con


def test_same_ids_in_two_nations_stay_two_records(con: duckdb.DuckDBPyConnection) -> None:
    result = build(con)
    assert result.ok
    rows = con.execute(
        "select nationbuilder_account, nationbuilder_signup_id from analytics.people "
        "where nationbuilder_signup_id = 2 order by 1"
    ).fetchall()
    assert rows == [("default", 2), ("north", 2)]


def test_a_person_in_two_accounts_is_one_person_with_both_memberships(
    con: duckdb.DuckDBPyConnection,
) -> None:
    build(con)
    people = con.execute(
        "select count(*) from analytics.people where primary_email = 'maya@x.org'"
    ).fetchone()
    records = con.execute(
        "select source_records_count from analytics.people where primary_email = 'maya@x.org'"
    ).fetchone()
    lists = con.execute(
        "select account, list_id from analytics.list_memberships as m "
        "join analytics.people as p using (person_id) where p.primary_email = 'maya@x.org' "
        "order by 1"
    ).fetchall()
    assert people == (1,) and records == (3,)
    assert lists == [("default", 7), ("north", 7)]


def test_the_union_is_reported_with_its_accounts(con: duckdb.DuckDBPyConnection) -> None:
    result = build(con)
    unions = {str(s) for s in result.stand_ins if s.accounts}
    assert any(s.startswith("nationbuilder.signups (accounts default, north") for s in unions)
    assert any(s.startswith("action_network.people (accounts east") for s in unions)

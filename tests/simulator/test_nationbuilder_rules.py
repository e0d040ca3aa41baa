"""NationBuilder v2 JSON:API rules (paging, counts, filters, sorts, sparse fields) and v1 paging."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from simulator.server import RunningSimulator
from tests.simulator.helpers import iso_utc, nb_ids, nb_time, walk_nb, walk_nb_v1
from tests.support.simulator import nb_get


def page(sim: RunningSimulator, path: str, **params: Any) -> dict[str, Any]:
    reply = nb_get(sim, path, params)
    assert reply.status == 200, reply.body[:300]
    result: dict[str, Any] = reply.json()
    return result


@pytest.fixture(scope="module")
def signups(sim: RunningSimulator) -> list[dict[str, Any]]:
    return walk_nb(sim, "/api/v2/signups", {"page[size]": 100}).records


# ---- paging -------------------------------------------------------------------------------------
def test_last_nonempty_page_links_to_an_empty_page(
    sim: RunningSimulator, sim_truth: dict[str, Any]
) -> None:
    count = sim_truth["nationbuilder"]["donations"]["count"]
    last_number = -(-count // 100)
    last = page(sim, "/api/v2/donations", **{"page[size]": 100, "page[number]": last_number})
    assert len(last["data"]) == count - (last_number - 1) * 100
    assert last["links"]["next"], "next is present on the last non-empty page"
    assert last["links"]["prev"]
    after = nb_get(sim, last["links"]["next"]).json()
    assert after["data"] == []
    assert after["links"].get("next") is None
    first = page(sim, "/api/v2/donations", **{"page[size]": 100})
    assert first["links"]["prev"] is None


def test_page_size_defaults_to_20_and_clamps_to_100(sim: RunningSimulator) -> None:
    assert len(page(sim, "/api/v2/signups")["data"]) == 20
    assert len(page(sim, "/api/v2/signups", **{"page[size]": 100})["data"]) == 100
    assert len(page(sim, "/api/v2/signups", **{"page[size]": 101})["data"]) == 100
    assert len(page(sim, "/api/v2/signups", **{"page[size]": 5000})["data"]) == 100
    assert len(page(sim, "/api/v2/signups", **{"page[size]": 7})["data"]) == 7


def test_pages_do_not_overlap(sim: RunningSimulator) -> None:
    first = nb_ids(page(sim, "/api/v2/signups", **{"page[size]": 7})["data"])
    second = nb_ids(page(sim, "/api/v2/signups", **{"page[size]": 7, "page[number]": 2})["data"])
    assert first == list(range(1, 8)) and second == list(range(8, 15))


def test_next_link_keeps_the_query(sim: RunningSimulator) -> None:
    params = {"page[size]": 3, "filter[status]": "pending", "sort": "-id"}
    first = page(sim, "/api/v2/donations", **params)
    second = nb_get(sim, first["links"]["next"]).json()
    assert len(second["data"]) == 3
    assert all(r["attributes"]["status"] == "pending" for r in first["data"] + second["data"])
    ids = nb_ids(first["data"] + second["data"])
    assert ids == sorted(ids, reverse=True)


def test_stats_total_count(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    for resource in ("signups", "donations", "signup_taggings", "paths"):
        body = page(sim, f"/api/v2/{resource}", **{"stats[total]": "count", "page[size]": 1})
        assert (
            body["meta"]["stats"]["total"]["count"] == sim_truth["nationbuilder"][resource]["count"]
        )
    assert page(sim, "/api/v2/signups")["meta"] == {}
    filtered = page(sim, "/api/v2/signups", **{"stats[total]": "count", "filter[id][lte]": 50})
    assert filtered["meta"]["stats"]["total"]["count"] == 50


# ---- filters ------------------------------------------------------------------------------------
def test_filter_updated_at_gte_and_lt_partition_the_collection(
    sim: RunningSimulator, signups: list[dict[str, Any]]
) -> None:
    times = sorted(nb_time(r["attributes"]["updated_at"]) for r in signups)
    cut = times[len(times) // 2]
    expect_new = {int(r["id"]) for r in signups if nb_time(r["attributes"]["updated_at"]) >= cut}
    new = walk_nb(
        sim, "/api/v2/signups", {"page[size]": 100, "filter[updated_at][gte]": iso_utc(cut)}
    )
    old = walk_nb(
        sim, "/api/v2/signups", {"page[size]": 100, "filter[updated_at][lt]": iso_utc(cut)}
    )
    assert set(nb_ids(new.records)) == expect_new
    assert set(nb_ids(old.records)) == {int(r["id"]) for r in signups} - expect_new
    # The nation-local form with an offset (and its '+' escaped or not) means the same instant.
    local = signups[0]["attributes"]["updated_at"]
    exact = nb_time(local)
    same = page(
        sim, "/api/v2/signups", **{"filter[updated_at][gte]": local, "stats[total]": "count"}
    )
    expected = sum(1 for r in signups if nb_time(r["attributes"]["updated_at"]) >= exact)
    assert same["meta"]["stats"]["total"]["count"] == expected
    for offset in ("+00:00", "%2B00:00"):
        url = "/api/v2/signups?stats[total]=count&filter[updated_at][gte]=2025-01-01T00:00:00"
        url += offset  # a raw '+' arrives as a space; the API reads it back as '+'
        count = nb_get(sim, url).json()["meta"]["stats"]["total"]["count"]
        boundary = nb_time("2025-01-01T00:00:00+00:00")
        assert count == sum(
            1 for r in signups if nb_time(r["attributes"]["updated_at"]) >= boundary
        )


def test_filter_id_gt_and_comma_or(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    top = sim_truth["nationbuilder"]["signups"]["count"]
    above = walk_nb(sim, "/api/v2/signups", {"filter[id][gt]": top - 30})
    assert nb_ids(above.records) == list(range(top - 29, top + 1))
    some = page(sim, "/api/v2/signups", **{"filter[id]": "3,5,7"})
    assert nb_ids(some["data"]) == [3, 5, 7]
    statuses = walk_nb(sim, "/api/v2/donations", {"filter[status]": "pending,failed"}).records
    assert statuses and {r["attributes"]["status"] for r in statuses} == {"pending", "failed"}
    assert page(sim, "/api/v2/signups", **{"filter[id]": "999999"})["data"] == []


def test_filter_foreign_key_number_and_boolean(sim: RunningSimulator) -> None:
    donations = walk_nb(sim, "/api/v2/donations", {"page[size]": 100}).records
    donor = donations[0]["attributes"]["signup_id"]
    mine = walk_nb(sim, "/api/v2/donations", {"filter[signup_id]": donor}).records
    assert {r["id"] for r in mine} == {
        r["id"] for r in donations if r["attributes"]["signup_id"] == donor
    }
    big = walk_nb(
        sim, "/api/v2/donations", {"filter[amount_in_cents][gte]": 5000, "page[size]": 100}
    )
    assert {r["id"] for r in big.records} == {
        r["id"] for r in donations if r["attributes"]["amount_in_cents"] >= 5000
    }
    opted = page(
        sim, "/api/v2/signups", **{"filter[email_opt_in]": "true", "stats[total]": "count"}
    )
    optout = page(
        sim, "/api/v2/signups", **{"filter[email_opt_in]": "false", "stats[total]": "count"}
    )
    opted_n = opted["meta"]["stats"]["total"]["count"]
    assert opted_n > 0 and all(r["attributes"]["email_opt_in"] for r in opted["data"])
    assert opted_n + optout["meta"]["stats"]["total"]["count"] == 2000
    nulls = page(
        sim, "/api/v2/signups", **{"filter[recruiter_id]": "null", "stats[total]": "count"}
    )
    assert all(r["attributes"]["recruiter_id"] is None for r in nulls["data"])
    everyone = walk_nb(sim, "/api/v2/signups", {"page[size]": 100}).records
    crm = next(r["attributes"]["external_id"] for r in everyone if r["attributes"]["external_id"])
    by_external = page(sim, "/api/v2/signups", **{"filter[external_id]": crm})["data"]
    assert [r["attributes"]["external_id"] for r in by_external] == [crm]  # a string id


# ---- sorting ------------------------------------------------------------------------------------
def test_sort_orders(sim: RunningSimulator, signups: list[dict[str, Any]]) -> None:
    ascending = walk_nb(sim, "/api/v2/signups", {"sort": "updated_at", "page[size]": 100}).records
    times = [nb_time(r["attributes"]["updated_at"]) for r in ascending]
    assert times == sorted(times) and len(times) == len(signups)
    descending = walk_nb(sim, "/api/v2/signups", {"sort": "-updated_at", "page[size]": 100}).records
    times = [nb_time(r["attributes"]["updated_at"]) for r in descending]
    assert times == sorted(times, reverse=True)
    by_id = nb_ids(page(sim, "/api/v2/signups", sort="id", **{"page[size]": 100})["data"])
    assert by_id == sorted(by_id) and by_id[0] == 1
    by_id_desc = nb_ids(page(sim, "/api/v2/signups", sort="-id")["data"])
    assert by_id_desc == sorted(by_id_desc, reverse=True) and by_id_desc[0] == len(signups)


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"filter[bogus]": "1"}, "invalid_filter"),
        ({"filter[updated_at][between]": "1"}, "invalid_filter_operator"),
        ({"filter[updated_at][gte]": "yesterday"}, "invalid_filter_value"),
        ({"filter[id]": "abc"}, "invalid_filter_value"),
        ({"sort": "first_name"}, "invalid_sort"),
        ({"sort": "-bogus"}, "invalid_sort"),
        ({"include": "taggings"}, "invalid_include"),
        ({"bogus": "1"}, "invalid_parameter"),
        ({"page[size]": "many"}, "invalid_page"),
    ],
)
def test_invalid_parameters_are_400(
    sim: RunningSimulator, params: dict[str, str], code: str
) -> None:
    reply = nb_get(sim, "/api/v2/signups", params)
    assert reply.status == 400
    body = reply.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code and body["message"]


def test_timestamp_filter_on_a_resource_without_timestamps_is_400(sim: RunningSimulator) -> None:
    reply = nb_get(sim, "/api/v2/signup_tags", {"filter[updated_at][gte]": "2025-01-01"})
    assert reply.status == 400 and reply.json()["code"] == "invalid_filter"


def test_unknown_resource_and_record_are_404(sim: RunningSimulator) -> None:
    for path in ("/api/v2/nonsense", "/api/v2/signups/999999", "/api/v2/signups/abc"):
        reply = nb_get(sim, path)
        assert reply.status == 404
        assert reply.json() == {"code": "not_found", "message": "Record not found"}


def test_show_matches_index(sim: RunningSimulator) -> None:
    indexed = page(sim, "/api/v2/donations", **{"page[size]": 1})["data"][0]
    shown = page(sim, f"/api/v2/donations/{indexed['id']}")
    assert shown["data"] == indexed


# ---- sparse fields ------------------------------------------------------------------------------
def test_sparse_fields(sim: RunningSimulator) -> None:
    only_id = page(sim, "/api/v2/signups", **{"fields[signups]": "id"})["data"]
    assert len(only_id) == 20
    for record in only_id:
        assert record["id"].isdigit() and record["type"] == "signups"
        assert record["attributes"] == {}
    some = page(sim, "/api/v2/signups", **{"fields[signups]": "first_name,email"})["data"]
    assert all(set(r["attributes"]) == {"first_name", "email"} for r in some)
    full = page(sim, "/api/v2/signups")["data"]
    assert len(full[0]["attributes"]) > 100  # the whole signup otherwise


# ---- v1 nonce/token paging ----------------------------------------------------------------------
def test_v1_limit_default_and_max(sim: RunningSimulator, sim_truth: dict[str, Any]) -> None:
    assert len(page(sim, "/api/v1/lists")["results"]) == 10
    assert len(page(sim, "/api/v1/lists", limit=3)["results"]) == 3
    assert len(page(sim, "/api/v1/lists", limit=1000)["results"]) == 30
    biggest = max(
        sim_truth["nationbuilder"]["lists"]["ids"],
        key=lambda lid: sum(
            1 for p in sim_truth["nationbuilder"]["list_signups"]["pairs"] if p[0] == lid
        ),
    )
    people = page(sim, f"/api/v1/lists/{biggest}/people", limit=1000)
    assert len(people["results"]) == 100 and people["next"]


def test_v1_next_is_null_at_the_end(sim: RunningSimulator) -> None:
    everything = page(sim, "/api/v1/lists", limit=100)
    assert everything["next"] is None and everything["prev"] is None
    walk = walk_nb_v1(sim, "/api/v1/lists", {"limit": 7})
    assert [len(p["results"]) for p in walk.pages] == [7, 7, 7, 7, 2]
    assert walk.pages[-1]["next"] is None
    empty = page(sim, "/api/v1/lists/1/people")  # list 1 is empty
    assert empty == {"next": None, "prev": None, "results": []}


def test_v1_tampered_token_is_400(sim: RunningSimulator) -> None:
    first = page(sim, "/api/v1/lists", limit=5)
    next_path = first["next"]
    token = next_path.split("__token=", 1)[1]
    payload = base64.urlsafe_b64decode(token).decode()
    offset, limit, signature = payload.split(":")
    forged = base64.urlsafe_b64encode(f"0:100:{signature}".encode()).decode()
    for bad in (
        forged,
        "not-base64!!",
        token[:-4] + "AAAA",
        base64.urlsafe_b64encode(b"x").decode(),
    ):
        reply = nb_get(sim, next_path.replace(token, bad))
        assert reply.status == 400, (bad, reply.body)
        assert reply.json()["code"] == "invalid_pagination_token"
    assert (offset, limit) == ("5", "5")
    assert nb_get(sim, next_path).status == 200  # the untouched token still works


def test_v1_unknown_list_is_404(sim: RunningSimulator) -> None:
    assert nb_get(sim, "/api/v1/lists/999999/people").status == 404

"""The simulator's NationBuilder v1 write endpoints: lists, members, tags, imports, people/me."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.server import RunningSimulator, serve_in_thread
from simulator.settings import SimConfig
from tests.simulator.helpers import walk_nb, walk_nb_v1
from tests.support.simulator import (
    NB_TOKEN,
    TINY,
    Reply,
    configured,
    nb_get,
    nb_url,
    request,
    truth,
)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """A simulator of this module's own: these tests change the nation."""
    with serve_in_thread(SimConfig(rate_limits=False, **TINY)) as running:
        yield running


def nb_send(
    sim: RunningSimulator, method: str, path: str, body: Any = None, token: str | None = NB_TOKEN
) -> Reply:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    return request(nb_url(sim, path), method=method, headers=headers, data=data)


def new_list(sim: RunningSimulator, slug: str) -> int:
    reply = nb_send(
        sim, "POST", "/api/v1/lists", {"list": {"name": slug, "slug": slug, "author_id": 1}}
    )
    assert reply.status == 200, reply.body
    return int(reply.json()["list_resource"]["id"])


def pairs_of(sim: RunningSimulator, list_id: int) -> set[int]:
    return {s for lid, s in truth(sim)["nationbuilder"]["list_signups"]["pairs"] if lid == list_id}


def csv_file(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def run_import(sim: RunningSimulator, text: str, overwrite: bool = False) -> dict[str, Any]:
    body = {"import": {"type": "people", "file": csv_file(text), "is_overwritable": overwrite}}
    reply = nb_send(sim, "POST", "/api/v1/imports", body)
    assert reply.status == 200, reply.body
    import_id = reply.json()["import"]["id"]
    for _ in range(5):
        status = nb_get(sim, f"/api/v1/imports/{import_id}").json()["import"]["status"]["name"]
        if status == "finished":
            result: dict[str, Any] = nb_get(sim, f"/api/v1/imports/{import_id}/result").json()
            return result["result"]
    raise AssertionError("the import never finished")


def test_created_list_shows_in_v1_v2_and_truth(sim: RunningSimulator) -> None:
    reply = nb_send(
        sim,
        "POST",
        "/api/v1/lists",
        {"list": {"name": "My List", "slug": "mylist", "author_id": 2}},
    )
    assert reply.status == 200, reply.body
    created = reply.json()["list_resource"]
    assert {k: created[k] for k in ("name", "slug", "author_id", "count")} == {
        "name": "My List",
        "slug": "mylist",
        "author_id": 2,
        "count": 0,
    }
    v1 = walk_nb_v1(sim, "/api/v1/lists", {"limit": 100}).records
    assert any(r["id"] == created["id"] and r["slug"] == "mylist" for r in v1)
    v2 = {int(r["id"]): r["attributes"] for r in walk_nb(sim, "/api/v2/lists").records}
    assert v2[created["id"]]["signups_count"] == 0
    assert created["id"] in truth(sim)["nationbuilder"]["lists"]["ids"]


@pytest.mark.parametrize(
    ("attrs", "field"),
    [
        ({"name": "Dup", "slug": "list_1", "author_id": 1}, "slug"),
        ({"name": "Bad", "slug": "has space", "author_id": 1}, "slug"),
        ({"name": "", "slug": "blank-name", "author_id": 1}, "name"),
        ({"name": "Nobody", "slug": "nobody", "author_id": 999_999}, "author_id"),
    ],
)
def test_invalid_list_is_refused_with_validation_failed(
    sim: RunningSimulator, attrs: dict[str, Any], field: str
) -> None:
    reply = nb_send(sim, "POST", "/api/v1/lists", {"list": attrs})
    assert reply.status == 400
    assert reply.json()["code"] == "validation_failed"
    assert field in reply.json()["validation_errors"]


def test_add_and_delete_people_change_members_everywhere(sim: RunningSimulator) -> None:
    list_id = new_list(sim, "members")
    path = f"/api/v1/lists/{list_id}/people"
    added = nb_send(sim, "POST", path, {"people_ids": [3, 5, 7, 999_999]})
    assert added.status == 200
    assert added.json()["count"] == 3, "an id that is nobody in the nation is skipped"
    assert pairs_of(sim, list_id) == {3, 5, 7}
    assert {r["id"] for r in walk_nb_v1(sim, path, {"limit": 2}).records} == {3, 5, 7}
    removed = nb_send(sim, "DELETE", path, {"people_ids": [5, 7]})
    assert removed.status == 200 and removed.json()["count"] == 1
    assert [r["id"] for r in walk_nb_v1(sim, path).records] == [3], "cached views refreshed"
    v2 = walk_nb(sim, f"/api/v2/lists/{list_id}/signups").records
    assert [int(r["id"]) for r in v2] == [3]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"people_ids": list(range(1, 100_002))}, 400),
        ({"people_ids": ["3"]}, 400),
        ({"ids": [3]}, 400),
    ],
)
def test_bad_people_ids_are_refused(sim: RunningSimulator, body: Any, status: int) -> None:
    list_id = new_list(sim, f"bad-ids-{status}-{len(json.dumps(body))}")
    assert nb_send(sim, "POST", f"/api/v1/lists/{list_id}/people", body).status == status
    assert pairs_of(sim, list_id) == set()


def test_unknown_list_is_404(sim: RunningSimulator) -> None:
    assert nb_send(sim, "POST", "/api/v1/lists/424242/people", {"people_ids": [1]}).status == 404
    assert nb_send(sim, "DELETE", "/api/v1/lists/424242/people", {"people_ids": [1]}).status == 404
    assert nb_send(sim, "POST", "/api/v1/lists/424242/tag/x").status == 404


def test_tag_tags_every_member_once(sim: RunningSimulator) -> None:
    list_id = new_list(sim, "tagged")
    nb_send(sim, "POST", f"/api/v1/lists/{list_id}/people", {"people_ids": [2, 4, 6]})
    before = truth(sim)["nationbuilder"]["signup_taggings"]["count"]
    assert nb_send(sim, "POST", f"/api/v1/lists/{list_id}/tag/3%2B%20petitions").status == 204
    assert nb_send(sim, "POST", f"/api/v1/lists/{list_id}/tag/3%2B%20petitions").status == 204
    tags = {
        r["attributes"]["name"]: int(r["id"]) for r in walk_nb(sim, "/api/v2/signup_tags").records
    }
    assert "3+ petitions" in tags
    taggings = walk_nb(
        sim, "/api/v2/signup_taggings", {"filter[tag_id]": tags["3+ petitions"]}
    ).records
    assert sorted(int(r["attributes"]["signup_id"]) for r in taggings) == [2, 4, 6]
    assert truth(sim)["nationbuilder"]["signup_taggings"]["count"] == before + 3


def test_write_routes_need_the_token(sim: RunningSimulator) -> None:
    reply = nb_send(sim, "POST", "/api/v1/lists", {"list": {"slug": "x"}}, token=None)
    assert reply.status == 401
    assert nb_send(sim, "POST", "/api/v1/imports", {}, token="wrong").status == 401


def test_write_routes_are_rate_limited(sim: RunningSimulator) -> None:
    list_id = new_list(sim, "throttled")
    with configured(sim, rate_limits=True, nb_rate_limit=2, nb_rate_window_s=60.0):
        statuses = [
            nb_send(sim, "POST", f"/api/v1/lists/{list_id}/people", {"people_ids": [1]}).status
            for _ in range(4)
        ]
    assert 429 in statuses


def test_people_me_is_the_first_person(sim: RunningSimulator) -> None:
    reply = nb_get(sim, "/api/v1/people/me")
    assert reply.status == 200 and reply.json()["person"]["id"] == 1


def test_import_goes_queued_working_finished(sim: RunningSimulator) -> None:
    body = {"import": {"type": "people", "file": csv_file("email\r\nq@example.org\r\n")}}
    created = nb_send(sim, "POST", "/api/v1/imports", body).json()["import"]
    assert created["status"]["name"] == "queued" and created["is_overwritable"] is False
    path = f"/api/v1/imports/{created['id']}"
    assert nb_get(sim, f"{path}/result").status == 404, "no result before it finishes"
    seen = [nb_get(sim, path).json()["import"]["status"]["name"] for _ in range(3)]
    assert seen == ["working", "finished", "finished"]
    result = nb_get(sim, f"{path}/result").json()["result"]
    assert result == {"rows_succeeded": 1, "rows_updated": 0, "rows_failed": 0}


def test_import_creates_people_and_fails_rows_without_email_or_name(
    sim: RunningSimulator,
) -> None:
    before = set(truth(sim)["nationbuilder"]["signups"]["ids"])
    text = (
        "first_name,last_name,email,phone_number\r\n"
        "Inés,Ñúñez,ines@import.example,5035550101\r\n"
        "Only,Name,,\r\n"
        ",,,5035550102\r\n"
        "Bad,Email,not-an-email,\r\n"
    )
    assert run_import(sim, text) == {"rows_succeeded": 2, "rows_updated": 0, "rows_failed": 2}
    new_ids = set(truth(sim)["nationbuilder"]["signups"]["ids"]) - before
    assert len(new_ids) == 2
    signups = walk_nb(sim, "/api/v2/signups", {"filter[email]": "ines@import.example"}).records
    assert len(signups) == 1 and int(signups[0]["id"]) in new_ids
    assert signups[0]["attributes"]["first_name"] == "Inés"
    assert signups[0]["attributes"]["phone_number"] == "5035550101"


def test_import_matches_by_email_and_overwrites_only_when_asked(sim: RunningSimulator) -> None:
    signups = walk_nb(sim, "/api/v2/signups", {"page[size]": 100}).records
    chosen = next(r for r in signups if r["attributes"]["email"] and r["attributes"]["employer"])
    path, person = f"/api/v2/signups/{chosen['id']}", chosen["attributes"]
    email = person["email"].upper()
    count = truth(sim)["nationbuilder"]["signups"]["count"]
    text = f"email,first_name,employer,mobile_number\r\n{email},Renamed,Acme,9715550199\r\n"
    kept = run_import(sim, text)
    assert kept == {"rows_succeeded": 1, "rows_updated": 1, "rows_failed": 0}
    after = nb_get(sim, path).json()["data"]["attributes"]
    assert (after["first_name"], after["employer"]) == (person["first_name"], person["employer"])
    assert after["mobile_number"] == (person["mobile_number"] or "9715550199"), "fills empties"
    run_import(sim, f"email,first_name\r\n{email},Renamed\r\n", overwrite=True)
    assert nb_get(sim, path).json()["data"]["attributes"]["first_name"] == "Renamed"
    assert truth(sim)["nationbuilder"]["signups"]["count"] == count


STANDARD_ALPHABET = base64.b64encode(b"email\n\xfb\xff@x.org\n").decode()  # has '+' and '/'


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "people", "file": STANDARD_ALPHABET}, "URL-safe alphabet"),
        ({"type": "people", "file": base64.urlsafe_b64encode(b"\xff\xfe").decode()}, "UTF-8"),
        ({"type": "ballot", "file": csv_file("id\r\n1\r\n")}, "type must be people"),
        ({"type": "people"}, "URL-safe alphabet"),
    ],
)
def test_import_refuses_what_the_docs_rule_out(
    sim: RunningSimulator, spec: dict[str, Any], message: str
) -> None:
    reply = nb_send(sim, "POST", "/api/v1/imports", {"import": spec})
    assert reply.status == 400 and message in reply.json()["message"]

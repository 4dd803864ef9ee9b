"""History brought in by an admin (SPEC §1, §5 "History"; issue 14 §1): registration days,
poverty years, willing-and-able judgements, past jobs, completions and follow-ups through
``POST /backfill``; the indicators of past years and ``?as_of=`` judged from them.

The district here has three years of history: the years Y-3, Y-2 and Y-1 before this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import programme_today
from tests.factories import (
    PINGWEI,
    QIJI,
    Factory,
    audit_entries,
    error_fields,
    new_employment,
    new_training_session,
    new_worker,
    problem,
)

BACKFILL = "/api/v1/backfill"
OVERVIEW = "/api/v1/stats/overview"
SOURCE = "安徽省扶贫开发信息系统 导出 2026-11"
TODAY = programme_today()
Y = TODAY.year


def day(year: int, month: int, d: int) -> str:
    return date(year, month, d).isoformat()


async def backfill(admin: AsyncClient, *entries: dict[str, Any], source: str = SOURCE) -> Any:
    r = await admin.post(BACKFILL, json={"source": source, "entries": list(entries)})
    assert r.status_code == 200, r.text
    return r.json()


def registration(worker: dict[str, Any], on: str) -> dict[str, Any]:
    return {"kind": "registration", "worker_id": worker["id"], "registered_on": on}


def job(worker: dict[str, Any], start: str, end: str | None = None, **more: Any) -> dict[str, Any]:
    entry = {"kind": "employment", "worker_id": worker["id"], "employment_kind": "job",
             "start_date": start, **more}  # fmt: skip
    if end is not None:
        entry |= {"end_date": end, "end_reason": "resigned"}
    return entry


def ability(worker: dict[str, Any], on: str, able: bool) -> dict[str, Any]:
    return {"kind": "ability", "worker_id": worker["id"], "effective_on": on,
            "willing_and_able": able}  # fmt: skip


async def figures(c: AsyncClient, year: int, **params: Any) -> dict[str, Any]:
    r = await c.get(OVERVIEW, params={"region": QIJI, "year": year, **params})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return {i["key"]: i["numerator"] for i in body["indicators"]} | {
        "stable": next(i for i in body["indicators"]
                       if i["key"] == "stable_employment_rate")["numerator"],
        "_provisional": body["provisional"], "_final_on": body["final_on"],
        "_as_of": body["as_of"],
    }  # fmt: skip


def picked(f: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (f["registered_workers"], f["willing_and_able"], f["assisted"], f["stable"],
            f["trained"])  # fmt: skip


@dataclass
class District:
    admin: AsyncClient
    cw: AsyncClient
    people: list[dict[str, Any]]
    history: list[dict[str, Any]]


async def three_years(factory: Factory) -> District:
    """Five labourers of 祁集镇, registered through the phone today, with this history:

    a  registered 1 Mar Y-3; a job 1 Apr Y-3 – (still on it): stable in Y-3
    b  registered 1 Mar Y-3; unable to work from 1 Jan Y-2, able again from 1 Jan Y-1;
       a job 1 Feb Y-1 – 1 Apr Y-1 (59 days: not stable); trained (completed 20 Jun Y-1)
    c  registered 10 May Y-2; a job 1 Jun Y-2 – 30 Jun Y-2 and another 1 Sep Y-2 – (still on
       it): stable in Y-2; the 6-month follow-up done
    d  registered 1 Feb Y-1; no job
    e  registered today (no history): counts from this year only
    """
    admin = await factory.as_role("admin", region=QIJI)
    cw = await factory.as_role("caseworker", region=QIJI)
    a, b, c, d, e = [await new_worker(cw) for _ in range(5)]
    district = await factory.as_role("admin")  # courses are district-wide
    session = await new_training_session(
        district, start_date=day(Y - 1, 6, 1), end_date=day(Y - 1, 6, 20)
    )
    history = [
        registration(a, day(Y - 3, 3, 1)), registration(b, day(Y - 3, 3, 1)),
        registration(c, day(Y - 2, 5, 10)), registration(d, day(Y - 1, 2, 1)),
        job(a, day(Y - 3, 4, 1)),
        ability(b, day(Y - 2, 1, 1), False), ability(b, day(Y - 1, 1, 1), True),
        job(b, day(Y - 1, 2, 1), day(Y - 1, 4, 1)),
        {"kind": "completion", "worker_id": b["id"], "session_id": session["id"],
         "completed_on": day(Y - 1, 6, 20), "certificate_number": "CERT-0001"},
        job(c, day(Y - 2, 6, 1), day(Y - 2, 6, 30)), job(c, day(Y - 2, 9, 1)),
        {"kind": "poverty_years", "household_id": a["household_id"], "identified_year": Y - 4,
         "lifted_year": Y - 2},
    ]  # fmt: skip
    return District(admin, cw, [a, b, c, d, e], history)


# -- the figures of past years -------------------------------------------------------------


async def test_each_past_year_comes_out_as_it_was(factory: Factory) -> None:
    d = await three_years(factory)
    report = await backfill(d.admin, *d.history)
    assert (report["created"], report["updated"], report["unchanged"]) == (5, 7, 0)
    # (registered, willing and able, assisted, stable, trained)
    assert picked(await figures(d.admin, Y - 3)) == (2, 2, 1, 1, 0)
    # b was unable to work all of Y-2.
    assert picked(await figures(d.admin, Y - 2)) == (3, 2, 1, 1, 0)
    assert picked(await figures(d.admin, Y - 1)) == (4, 4, 1, 0, 1)
    # This year: e too (registered today), nobody assisted yet.
    assert picked(await figures(d.admin, Y)) == (5, 5, 0, 0, 0)


async def test_bringing_the_same_history_in_again_changes_nothing(
    factory: Factory, session: AsyncSession
) -> None:
    d = await three_years(factory)
    await backfill(d.admin, *d.history)
    before = [await figures(d.admin, year) for year in (Y - 3, Y - 2, Y - 1)]
    entries = len(await audit_entries(session))
    again = await backfill(d.admin, *d.history)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 12)
    assert {e["outcome"] for e in again["entries"]} == {"unchanged"}
    assert [await figures(d.admin, year) for year in (Y - 3, Y - 2, Y - 1)] == before
    assert len(await audit_entries(session)) == entries


async def test_as_of_shows_the_figures_as_they_stood(factory: Factory) -> None:
    d = await three_years(factory)
    await backfill(d.admin, *d.history)
    # On 31 May Y-3: a registered and on a job of two months (not yet stable), b registered.
    may = await figures(d.admin, Y - 3, as_of=day(Y - 3, 5, 31))
    assert picked(may) == (2, 2, 1, 0, 0)
    assert may["_provisional"] is True
    assert may["_as_of"] == day(Y - 3, 5, 31)
    # On 1 Jan Y-2 b's inability has begun, but the figures of Y-3 end on 31 Dec Y-3.
    assert picked(await figures(d.admin, Y - 3, as_of=day(Y - 2, 1, 1))) == (2, 2, 1, 1, 0)


async def test_a_year_is_provisional_until_its_last_job_could_have_become_stable(
    factory: Factory,
) -> None:
    admin = await factory.as_role("admin", region=QIJI)
    final_on = date(Y, 12, 31) + timedelta(days=180)
    this_year = await figures(admin, Y)
    assert this_year["_provisional"] is True
    assert this_year["_final_on"] == final_on.isoformat()
    last_year = await figures(admin, Y - 2)
    assert last_year["_provisional"] is False
    assert last_year["_final_on"] == (date(Y - 2, 12, 31) + timedelta(days=180)).isoformat()


async def test_as_of_cannot_be_in_the_future(factory: Factory) -> None:
    admin = await factory.as_role("admin", region=QIJI)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    r = await admin.get(OVERVIEW, params={"year": Y, "as_of": tomorrow})
    body = problem(r, 422, "date_in_future")
    assert error_fields(body) == {"query.as_of"}
    r = await admin.get(OVERVIEW, params={"year": Y, "as_of": "yesterday"})
    problem(r, 422, "validation_failed")


# -- what the backfill changes and who may use it --------------------------------------------


async def test_a_registration_backfilled_lets_the_everyday_route_record_older_jobs(
    factory: Factory,
) -> None:
    admin = await factory.as_role("admin", region=QIJI)
    cw = await factory.as_role("caseworker", region=QIJI)
    worker = await new_worker(cw)
    start = (TODAY - timedelta(days=40)).isoformat()
    r = await cw.post("/api/v1/employments", json={"worker_id": worker["id"], "kind": "job",
                                                   "start_date": start})  # fmt: skip
    problem(r, 422, "date_before_history")
    await backfill(admin, registration(worker, (TODAY - timedelta(days=60)).isoformat()))
    detail = (await cw.get(f"/api/v1/workers/{worker['id']}")).json()
    assert detail["registered_on"] == (TODAY - timedelta(days=60)).isoformat()
    await new_employment(cw, worker["id"], start_date=start)


async def test_every_change_is_audited_as_a_backfill_with_its_source(
    factory: Factory, session: AsyncSession
) -> None:
    d = await three_years(factory)
    await backfill(d.admin, *d.history)
    entries = await audit_entries(session)
    backfills = [e for e in entries if e.action.endswith(".backfill")]
    # 12 entries, and b's skills gained by the completion (so phones receive the worker).
    assert len(backfills) == 13
    assert {e.action for e in backfills} == {
        "worker.backfill", "employment.backfill", "enrolment.backfill", "household.backfill"
    }  # fmt: skip
    assert all(e.changes["_note"] == {"backfill": True, "source": SOURCE} for e in backfills)
    # The completion took a seat of the session: its change is stamped for the phones too.
    [seat] = [e for e in entries if e.action == "training_session.seats"][-1:]
    assert seat.changes["enrolled"] == {"before": 0, "after": 1}


async def test_a_household_lifted_out_gets_its_year(factory: Factory) -> None:
    d = await three_years(factory)
    await backfill(d.admin, *d.history)
    a = d.people[0]
    household = (await d.cw.get(f"/api/v1/households/{a['household_id']}")).json()
    assert (household["identified_year"], household["lifted_year"]) == (Y - 4, Y - 2)
    other = d.people[1]["household_id"]
    current = (await d.cw.get(f"/api/v1/households/{other}")).json()
    r = await d.cw.patch(f"/api/v1/households/{other}", json={"poverty_status": "lifted"},
                         headers={"If-Match": f'"{current["version"]}"'})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (await d.cw.get(f"/api/v1/households/{other}")).json()["lifted_year"] == Y


async def test_only_admins_backfill(factory: Factory) -> None:
    cw = await factory.as_role("caseworker", region=QIJI)
    worker = await new_worker(cw)
    body = {"source": SOURCE, "entries": [registration(worker, day(Y - 2, 1, 1))]}
    for role in ("caseworker", "auditor", "employer"):
        c = await factory.as_role(role, region=QIJI) if role != "employer" else (
            await factory.as_role(role))  # fmt: skip
        problem(await c.post(BACKFILL, json=body), 403, "forbidden")


async def test_an_admin_of_another_township_cannot_reach_the_worker(factory: Factory) -> None:
    cw = await factory.as_role("caseworker", region=QIJI)
    worker = await new_worker(cw)
    pingwei_admin = await factory.as_role("admin", region=PINGWEI)
    r = await pingwei_admin.post(BACKFILL, json={
        "source": SOURCE, "entries": [registration(worker, day(Y - 2, 1, 1))]})  # fmt: skip
    body = problem(r, 422, "unknown_reference")
    assert error_fields(body) == {"body.entries.0.worker_id"}


async def test_one_bad_entry_refuses_the_whole_request(factory: Factory) -> None:
    d = await three_years(factory)
    a = d.people[0]
    before = (await d.cw.get(f"/api/v1/workers/{a['id']}")).json()["registered_on"]
    future = (TODAY + timedelta(days=1)).isoformat()
    cases = [
        ([registration(a, day(Y - 2, 1, 1)), registration(a, future)], 422, "date_in_future",
         {"body.entries.1.registered_on"}),
        ([registration(a, "1980-01-01")], 422, "date_before_history",
         {"body.entries.0.registered_on"}),
        ([job(a, day(Y - 2, 5, 1), day(Y - 2, 4, 1))], 422, "validation_failed", None),
        ([job(a, day(Y - 2, 5, 1), employer_id=999_999)], 422, "unknown_reference",
         {"body.entries.0.employer_id"}),
        ([{"kind": "hearsay", "worker_id": a["id"]}], 422, "validation_failed", None),
    ]  # fmt: skip
    for entries, status, code, fields in cases:
        r = await d.admin.post(BACKFILL, json={"source": SOURCE, "entries": entries})
        body = problem(r, status, code)
        if fields is not None:
            assert error_fields(body) == fields
    for body in ({"source": SOURCE, "entries": []}, {"source": "", "entries": [registration(
            a, day(Y - 2, 1, 1))]}, {"entries": [registration(a, day(Y - 2, 1, 1))]}):  # fmt: skip
        problem(await d.admin.post(BACKFILL, json=body), 422, "validation_failed")
    after = (await d.cw.get(f"/api/v1/workers/{a['id']}")).json()["registered_on"]
    assert after == before


async def test_a_household_counts_as_in_poverty_in_the_years_before_its_lift_out(
    factory: Factory,
) -> None:
    d = await three_years(factory)
    await backfill(d.admin, *d.history)  # a's household: identified Y-4, lifted out Y-2
    a = d.people[0]
    current = (await d.cw.get(f"/api/v1/households/{a['household_id']}")).json()
    r = await d.cw.patch(f"/api/v1/households/{a['household_id']}",
                         json={"poverty_status": "lifted"},
                         headers={"If-Match": f'"{current["version"]}"'})  # fmt: skip
    assert r.status_code == 200, r.text

    async def registered_by_status(year: int) -> dict[str, int]:
        r = await d.admin.get(
            "/api/v1/stats/breakdown", params={"by": "poverty_status", "region": QIJI, "year": year}
        )
        assert r.status_code == 200, r.text
        return {row["key"]: row["values"]["registered_workers"] for row in r.json()["rows"]}

    # Y-3: a and b registered, a's household not yet lifted out.
    assert (await registered_by_status(Y - 3)).get("lifted", 0) == 0
    assert (await registered_by_status(Y - 1)).get("lifted", 0) == 1

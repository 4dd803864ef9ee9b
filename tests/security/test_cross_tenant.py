"""Cross-tenant probes: a caseworker of another township, another employer, an auditor of
another township and an admin of another township try every route that takes an id of the
first tenant's records — read, edit, delete, move, review — and every list, search, export
and sync that could carry them.

The first tenant is 祁集镇 (a caseworker's households, workers, visits, referrals to a vacancy
of employer A, the hire, follow-ups, a self-employment, an enrolment, a claim with its evidence
file, a recruitment event, a target). Each answer must be the 404 of a record that does not
exist (or the 403 of a role that may never call the route, as tests/security/role_matrix.json
says), must carry nothing of the first tenant, and every record must read the same to its owner
afterwards. Lists and searches that find the first tenant's records for their owner must find
none of them for the prober.

Some records are shared by design (SPEC section 1, app/scope.py ``EVERYWHERE``): every
caseworker reads every employer, vacancy, training session and recruitment event. For those a
caseworker of another township gets the record itself, but nothing private hangs off it (no
worker of ours among a vacancy's candidates, no attendee or referral of ours in an event's
counts).

A guard test fails when a route with an ``{..._id}`` parameter is neither probed here nor
exempted with a reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response
from openpyxl import load_workbook

from app.identifiers import credit_code_check_char, resident_id_check_char
from app.main import API_PREFIX
from tests.factories import (
    PINGWEI,
    PINGWEI_VILLAGE,
    QIJI,
    XUGANG,
    Factory,
    enrol,
    hire,
    month,
    new_employment,
    new_household,
    new_policy,
    new_training_session,
    new_vacancy,
    new_visit,
    new_worker,
    on,
    refer,
    signed_in,
    visit_body,
)
from tests.routes import api_routes
from tests.security import matrix

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
EPOCH = "2000-01-01T00:00:00Z"
# Who probes: the role each prober has, and how a test names them.
PROBERS = {
    "caseworker": "a caseworker of 平圩镇",
    "employer": "a user of employer B",
    "auditor": "an auditor of 平圩镇",
    "admin": "an admin of 平圩镇",
}
# The column of tests/security/role_matrix.json that says what each prober's role may call.
MATRIX_COLUMN = {"admin": "township_admin"}
# Records every caseworker reads wherever they are (app/scope.py EVERYWHERE): employers,
# vacancies, training sessions and recruitment events. Nothing is shared with other
# employers or with auditors of another region.
SHARED_WITH = {
    "caseworker": frozenset({"employer", "vacancy", "training_session", "recruitment_event"}),
    "employer": frozenset[str](),
    "auditor": frozenset[str](),
    # An admin reads what caseworkers read everywhere, but changes only its own township's.
    "admin": frozenset({"employer", "vacancy", "training_session", "recruitment_event"}),
}
# A path parameter names a record of this kind (the audit trail's resource_type); the value
# comes from World.ids under the same name unless a probe says otherwise.
PARAM_KINDS = {
    "worker_id": "worker",
    "household_id": "household",
    "employer_id": "employer",
    "vacancy_id": "vacancy",
    "referral_id": "referral",
    "employment_id": "employment",
    "follow_up_id": "follow_up",
    "event_id": "recruitment_event",
    "session_id": "training_session",
    "enrolment_id": "enrolment",
    "claim_id": "claim",
    "attachment_id": "attachment",
    "visit_id": "visit",
    "photo_id": "photo",
    "target_id": "target",
    "user_id": "user",
}
# Keys in answers that hold the id of a record of a kind (besides "<kind>_id" above).
KEY_KINDS = {
    **PARAM_KINDS,
    "existing_worker_id": "worker",
    "station_id": "service_station",
}
LIST_KEY_KINDS = {
    "worker_ids": "worker",
    "claim_ids": "claim",
    "employer_ids": "employer",
    "vacancy_ids": "vacancy",
}
# Nested objects and lists whose "id" is that of a record of a kind.
NESTED_KINDS = {
    "members": "worker",
    "attachments": "attachment",
    "employment": "employment",
    "enrolment": "enrolment",
    "worker": "worker",
}
# User ids (caseworker_id, filed_by …) are left out: whose user wrote a shared record (an
# event's created_by) is part of that record.


# The first tenant's world.


@dataclass
class Markers:
    """What would betray a first-tenant record: its (kind, id) and texts only it carries."""

    ids: dict[str, set[int]] = field(default_factory=dict)
    texts: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, record_id: int, *texts: str | None) -> None:
        self.ids.setdefault(kind, set()).add(record_id)
        self.texts.setdefault(kind, set()).update(t for t in texts if t)

    def without(self, kinds: frozenset[str]) -> Markers:
        return Markers(
            ids={k: v for k, v in self.ids.items() if k not in kinds},
            texts={k: v for k, v in self.texts.items() if k not in kinds},
        )


@dataclass
class World:
    """The first tenant's records, their owners' clients (one per role) and the probers."""

    owners: dict[str, AsyncClient]
    admin: AsyncClient
    probers: dict[str, AsyncClient]
    ids: dict[str, int]
    sent: dict[str, str]  # values the owners sent that no answer shows in full (ID numbers)
    markers: Markers
    etags: dict[str, str] = field(default_factory=dict)

    def forbidden(self, role: str) -> Markers:
        """The first tenant's markers that must never reach a prober of ``role``."""
        return self.markers.without(SHARED_WITH[role])


def masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 2) + name[-1]


def id_forms(number: str) -> list[str]:
    """An ID number as answers may show it: in full, masked as lists and as the notice do."""
    return [
        number,
        number[:6] + "*" * 8 + number[-4:],  # lists: 340406********1234
        number[:4] + "*" * 10 + number[-4:],  # public notice: 3404**********1234
    ]


def echo_forms(value: str) -> list[str]:
    """What an answer echoing ``value`` may show of it (an ID number comes back masked)."""
    return id_forms(value) if re.fullmatch(r"\d{17}[\dXx]", value) else [value]


def worker_texts(worker: dict[str, Any], id_number: str, phone: str | None) -> list[str]:
    texts = [worker["full_name"], masked_name(worker["full_name"]), *id_forms(id_number)]
    if phone:
        texts += [phone, phone[:3] + "****" + phone[-4:]]
    return texts


def created(r: Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()
    return data


def id_number(seq: int) -> str:
    """A valid resident ID number of 潘集区, born 1982-05-17 (the factories' are of 1985)."""
    body = f"34040619820517{seq:03d}"
    return body + resident_id_check_char(body)


async def new_employer(
    factory: Factory, admin: AsyncClient, name: str, tail: str
) -> tuple[int, AsyncClient]:
    """A verified workshop of 许岗村 registered by ``admin``, and a client of one of its users.
    Its credit code has letters: 18 digits in a row would look like an ID number to the
    suite's personal-data scan."""
    body = "9134040" + tail
    r = await admin.post(
        "/api/v1/employers",
        json={
            "name": name,
            "credit_code": body + credit_code_check_char(body),
            "kind": "workshop",
            "region_code": XUGANG,
        },
    )
    employer_id = created(r)["id"]
    assert isinstance(employer_id, int)
    created(await admin.post(f"/api/v1/employers/{employer_id}/verify"))
    return employer_id, await factory.as_role("employer", employer_id=employer_id)


async def build_world(factory: Factory) -> World:
    """祁集镇 with everything a caseworker, an employer and the bureau make there, and the
    three probers (who have records of their own)."""
    markers = Markers()
    ids: dict[str, int] = {}
    sent: dict[str, str] = {}
    admin = await factory.as_role("admin")
    policy = await new_policy(admin, "on_job_training")
    await new_policy(admin, "job_seeking_once")
    employer_a, boss = await new_employer(factory, admin, "祁集甲服装扶贫车间", "MA1QJ0PA0X")
    ids["employer"] = employer_a
    markers.add("employer", employer_a, "祁集甲服装扶贫车间")
    cw_user, cw = await signed_in(factory, "caseworker", region=QIJI)
    assert cw_user.id is not None
    ids["user"] = cw_user.id
    auditor = await factory.as_role("auditor", region=QIJI)

    household = await new_household(cw, address="祁集镇许岗村东组甲号")
    ids["household"] = household["id"]
    sent["household_number"] = household["household_number"]
    markers.add("household", household["id"], household["household_number"], "许岗村东组甲号")
    people: dict[str, dict[str, Any]] = {}
    for seq, (key, name, phone, extra) in enumerate(
        (
            ("worker", "祁春花", "13955501234", {}),
            ("referred_worker", "祁夏禾", "13955505678", {}),
            ("self_employed_worker", "祁秋实", None, {}),
            (
                "available_worker",
                "祁冬青",
                None,
                {"skills": ["sewing"], "training_wishes": ["pastry"], "job_wishes": ["garment"]},
            ),
        ),
        start=701,
    ):
        number = id_number(seq)
        fields: dict[str, Any] = {"full_name": name, "id_number": number, **extra}
        if phone:
            fields["phone"] = phone
        person = await new_worker(cw, household_id=household["id"], **fields)
        people[key] = person
        ids[key] = person["id"]
        markers.add("worker", person["id"], *worker_texts(person, number, phone))
        sent[f"{key}_id_number"] = number
        sent[f"{key}_id_suffix"] = number[-4:]
    worker = people["worker"]
    visit = await new_visit(cw, worker["id"], notes="祁集入户走访甲")
    ids["visit"] = visit["id"]
    markers.add("visit", visit["id"], "祁集入户走访甲")
    for owner, url in (
        ("visit", f"/api/v1/visits/{visit['id']}/photos"),
        ("household", f"/api/v1/households/{household['id']}/photos"),
        ("worker", f"/api/v1/workers/{worker['id']}/photos"),
    ):
        caption, name = f"祁集{owner}照片甲", f"祁集{owner}甲.png"
        r = await cw.post(url, files={"file": (name, PNG, "image/png")}, data={"caption": caption})
        photo = created(r)
        ids.setdefault("photo", photo["id"])
        markers.add("photo", photo["id"], caption, name)
    r = await cw.post(
        f"/api/v1/households/{household['id']}/visits", json=visit_body(notes="祁集户访乙")
    )
    markers.add("visit", created(r)["id"], "祁集户访乙")

    vacancy = await new_vacancy(boss, title="祁集甲车间缝纫工", openings=3)
    ids["vacancy"] = vacancy["id"]
    markers.add("vacancy", vacancy["id"], "祁集甲车间缝纫工")
    r = await cw.post(
        "/api/v1/recruitment-events",
        json={
            "name": "祁集镇春风行动甲专场",
            "campaign": "spring_breeze",
            "date": on(3),
            "place": "祁集镇政府广场",
            "region_code": QIJI,
            "employer_ids": [employer_a],
            "vacancy_ids": [vacancy["id"]],
        },
    )
    event = created(r)
    ids["recruitment_event"] = event["id"]
    markers.add("recruitment_event", event["id"], "祁集镇春风行动甲专场")
    r = await cw.post(
        f"/api/v1/recruitment-events/{event['id']}/attendees", json={"worker_id": worker["id"]}
    )
    created(r)

    hired_referral = await refer(
        cw, worker["id"], vacancy["id"], event_id=event["id"], notes="祁集推荐甲"
    )
    ids["referral"] = hired_referral["id"]
    markers.add("referral", hired_referral["id"], "祁集推荐甲")
    # The hire is 250 days old: the worker and the referral are that much older.
    await factory.backdate(worker_id=worker["id"], referral_id=hired_referral["id"], days=250)
    r = await hire(boss, hired_referral["id"], start_date=on(250))
    employment_id = created(r)["employment_id"]
    assert isinstance(employment_id, int)
    ids["employment"] = employment_id
    markers.add("employment", employment_id)
    open_referral = await refer(
        cw, people["referred_worker"]["id"], vacancy["id"], event_id=event["id"]
    )
    ids["open_referral"] = open_referral["id"]
    markers.add("referral", open_referral["id"])
    own_job = await new_employment(
        cw, people["self_employed_worker"]["id"], work_place="祁集自营甲铺"
    )
    ids["self_employment"] = own_job["id"]
    markers.add("employment", own_job["id"], "祁集自营甲铺")
    r = await cw.get("/api/v1/follow-ups", params={"limit": 200})
    follow_ups = created(r)["items"]
    assert follow_ups, "the placements scheduled no follow-ups"
    for item in follow_ups:
        markers.add("follow_up", item["id"])
    ids["follow_up"] = follow_ups[0]["id"]

    training = await new_training_session(admin, provider="祁集镇甲培训学校")
    ids["training_session"] = training["id"]
    markers.add("training_session", training["id"], "祁集镇甲培训学校")
    r = await enrol(cw, training["id"], people["referred_worker"]["id"])
    enrolment = created(r)
    ids["enrolment"] = enrolment["id"]
    markers.add("enrolment", enrolment["id"])

    r = await boss.post(
        "/api/v1/claims",
        json={
            "policy_code": policy["code"],
            "worker_id": worker["id"],
            "employment_id": employment_id,
            "period_start": month(6),
            "period_end": month(1),
            "notes": "祁集甲车间岗前培训申报",
        },
    )
    claim = created(r)
    ids["claim"] = claim["id"]
    markers.add("claim", claim["id"], "祁集甲车间岗前培训申报")
    r = await boss.post(
        f"/api/v1/claims/{claim['id']}/attachments",
        files={"file": ("祁集甲考勤表.png", PNG, "image/png")},
    )
    attachment = created(r)
    ids["attachment"] = attachment["id"]
    markers.add("attachment", attachment["id"], "祁集甲考勤表.png")

    r = await admin.post(
        "/api/v1/targets",
        json={
            "region_code": QIJI,
            "year": datetime.now(UTC).year,
            "metric": "training",
            "value": 9,
        },
    )
    ids["target"] = created(r)["id"]
    markers.add("target", ids["target"])
    r = await admin.post(
        "/api/v1/service-stations", json={"name": "祁集镇甲就业服务站", "region_code": QIJI}
    )
    markers.add("service_station", created(r)["id"], "祁集镇甲就业服务站")

    # The probers, each with something of their own so that their lists are not empty.
    pingwei = await factory.as_role("caseworker", region=PINGWEI)
    mine = await new_worker(
        pingwei,
        region=PINGWEI_VILLAGE,
        full_name="平安然",
        skills=["sewing"],
        training_wishes=["pastry"],
    )
    ids["prober_household"] = mine["household_id"]
    ids["prober_employer"], rival = await new_employer(factory, admin, "平圩乙建材厂", "MA1QJ0PB0X")
    await new_vacancy(rival, title="平圩乙车间搬运工")
    probers = {
        "caseworker": pingwei,
        "employer": rival,
        "auditor": await factory.as_role("auditor", region=PINGWEI),
        "admin": await factory.as_role("admin", region=PINGWEI),
    }
    owners = {"caseworker": cw, "employer": boss, "auditor": auditor, "admin": admin}
    return World(owners=owners, admin=admin, probers=probers, ids=ids, sent=sent, markers=markers)


# Reading the first tenant's records as their owners, before and after the probes.


def snapshot_reads(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(owner role, path, params) of every read that shows a first-tenant record."""
    i = w.ids
    reads: list[tuple[str, str, dict[str, Any]]] = [
        ("caseworker", f"/households/{i['household']}", {}),
        ("caseworker", f"/households/{i['household']}/visits", {}),
        ("employer", f"/employers/{i['employer']}", {}),
        ("employer", f"/vacancies/{i['vacancy']}", {}),
        ("caseworker", f"/referrals/{i['referral']}", {}),
        ("caseworker", f"/referrals/{i['open_referral']}", {}),
        ("caseworker", f"/employments/{i['employment']}", {}),
        ("caseworker", f"/employments/{i['self_employment']}", {}),
        ("caseworker", f"/recruitment-events/{i['recruitment_event']}", {}),
        ("admin", f"/training/sessions/{i['training_session']}", {}),
        ("caseworker", f"/training/enrolments/{i['enrolment']}", {}),
        ("employer", f"/claims/{i['claim']}", {}),
        ("employer", f"/claims/{i['claim']}/history", {}),
        ("employer", f"/claims/{i['claim']}/attachments", {}),
        ("employer", f"/claims/{i['claim']}/attachments/{i['attachment']}", {}),
        ("caseworker", f"/visits/{i['visit']}/photos", {}),
        ("caseworker", f"/households/{i['household']}/photos", {}),
        ("caseworker", f"/workers/{i['worker']}/photos", {}),
        ("caseworker", f"/photos/{i['photo']}/content", {}),
        ("admin", f"/targets/{i['target']}", {}),
        ("admin", f"/users/{i['user']}", {}),
    ]
    for key in ("worker", "referred_worker", "self_employed_worker", "available_worker"):
        reads.append(("caseworker", f"/workers/{i[key]}", {}))
    reads.append(("caseworker", f"/workers/{i['worker']}/timeline", {}))
    reads.append(("caseworker", f"/workers/{i['worker']}/visits", {}))
    # Whole lists of the township: a record made in it by a probe would show here.
    for path in ("/workers", "/households", "/visits", "/referrals", "/employments",
                 "/claims", "/training/enrolments", "/photos"):  # fmt: skip
        reads.append(("caseworker", path, {"limit": 200}))
    for status in ("due", "done", "cancelled"):
        reads.append(("caseworker", "/follow-ups", {"status": status, "limit": 200}))
    return reads


async def snapshot(w: World) -> dict[str, Any]:
    """Every first-tenant record as its owner reads it; ETags remembered for the probes."""
    seen: dict[str, Any] = {}
    for role, path, params in snapshot_reads(w):
        r = await w.owners[role].get(API_PREFIX + path, params=params)
        assert r.status_code == 200, f"the owner ({role}) cannot read {path}: {r.text}"
        if r.headers["content-type"].startswith("application/json"):
            seen[f"{path} {params}"] = r.json()
        else:
            seen[f"{path} {params}"] = hashlib.sha256(r.content).hexdigest()
        if not params and isinstance(seen[f"{path} {params}"], dict):
            version = seen[f"{path} {params}"].get("version")
            tag = r.headers.get("etag") or (f'"{version}"' if isinstance(version, int) else None)
            if tag:
                w.etags[path] = tag
    return seen


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for key, was in before.items():
        now = after[key]
        if now == was:
            continue
        if isinstance(was, dict) and isinstance(now, dict):
            differing = sorted(k for k in was.keys() | now.keys() if was.get(k) != now.get(k))
            out.append(f"{key} changed in {differing}: {was} -> {now}")
        else:
            out.append(f"{key} changed: {was} -> {now}")
    return out


# Finding first-tenant data in an answer.


def sightings(
    body: Any, markers: Markers, *, kind: str | None = None, echoed: frozenset[str] = frozenset()
) -> list[str]:
    """Every place in ``body`` (JSON, or CSV/XLSX rows as dicts) that carries a marker; texts
    in ``echoed`` (what the caller sent itself) do not count."""
    found: list[str] = []
    texts = {t: k for k, ts in markers.texts.items() for t in ts if t not in echoed}

    def hit(record_kind: str, value: Any, via: str) -> None:
        try:
            number = int(value)
        except (TypeError, ValueError):
            return
        if number in markers.ids.get(record_kind, set()):
            found.append(f"{record_kind} {number} (as {via})")

    def walk(value: Any, value_kind: str | None) -> None:
        if isinstance(value, dict):
            rtype, rid = value.get("resource_type"), value.get("resource_id")
            if isinstance(rtype, str) and rid is not None:
                hit(rtype, rid, "resource_id")
            for key, item in value.items():
                if key == "id" and value_kind:
                    hit(value_kind, item, "id")
                elif key in KEY_KINDS:
                    hit(KEY_KINDS[key], item, key)
                elif key in LIST_KEY_KINDS and isinstance(item, list):
                    for element in item:
                        hit(LIST_KEY_KINDS[key], element, key)
                walk(item, value_kind if key == "items" else NESTED_KINDS.get(key))
        elif isinstance(value, list):
            for item in value:
                walk(item, value_kind)
        elif isinstance(value, str):
            found.extend(f"{k} text {t!r}" for t, k in texts.items() if t in value)

    walk(body, kind)
    return found


def parsed(r: Response) -> Any:
    """The answer as data: JSON, CSV rows or spreadsheet rows (as dicts), else its text."""
    media = r.headers.get("content-type", "")
    if "json" in media:
        return r.json()
    if media.startswith("text/csv"):
        return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    if "spreadsheetml" in media:
        sheet = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
        rows = [[str(c) if c is not None else "" for c in row] for row in sheet.values]
        return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]] if rows else []
    return r.text


def excerpt(r: Response) -> str:
    return r.text[:300].replace("\n", " ")


# The probes of records by id.

Body = Callable[[World], dict[str, Any]]


def fixed(**body: Any) -> Body:
    return lambda _w: body


@dataclass(frozen=True)
class Probe:
    """One request at a first-tenant record. ``route`` is the router's path (without
    /api/v1); its ids are World.ids[PARAM_KINDS[param]] unless ``ids`` names another."""

    resource: str
    method: str
    route: str
    body: Body | None = None
    ids: tuple[tuple[str, str], ...] = ()
    upload: bool = False
    # Roles that see this record by design (SHARED_WITH): they get it, with nothing private.
    shared: bool = False
    # The answer a role allowed on the route gets when it is not a plain 404 (documented),
    # and per role where a business rule refuses before any record is looked up.
    status: int = 404
    by_role: tuple[tuple[str, int], ...] = ()
    # What the prober sent itself, which the answer may echo: texts or World.sent keys
    # (an ID number also in its masked forms).
    echoed: tuple[str, ...] = ()
    # For a shared record's answer: what else is wrong with it, and whether its owner finds
    # private records of ours in the same answer (so that finding none is no accident).
    check: Callable[[Any], list[str]] | None = None
    owner_finds: bool = False

    @property
    def operation(self) -> str:
        return f"{self.method} {API_PREFIX}{self.route}"

    def path(self, w: World) -> str:
        names = dict(self.ids)

        def fill(m: re.Match[str]) -> str:
            return str(w.ids[names.get(m.group(1), PARAM_KINDS[m.group(1)])])

        return re.sub(r"\{(\w+)\}", fill, self.route)


def worker_ref(key: str, **more: Any) -> Body:
    """A body naming a first-tenant worker (and ``more``)."""
    return lambda w: {"worker_id": w.ids[key], **more}


def counts_none_of_ours(event: dict[str, Any]) -> list[str]:
    """An event's outcomes count the reader's own attendees and referrals only."""
    outcomes = event["outcomes"]
    return [f"counts our attendee or referrals: {outcomes}"] if any(outcomes.values()) else []


REASON = {"reason": "跨辖区试探"}
PROBES: list[Probe] = [
    # Households.
    Probe("household", "GET", "/households/{household_id}"),
    Probe("household", "PATCH", "/households/{household_id}", fixed(address="被改写")),
    Probe("household", "GET", "/households/{household_id}/visits"),
    Probe("household", "POST", "/households/{household_id}/visits", lambda _w: visit_body()),
    # Registering a worker into our household: the reference is refused like a bad field.
    Probe(
        "household",
        "POST",
        "/workers",
        lambda w: {
            "household_id": w.ids["household"],
            "full_name": "平新人",
            "id_number": id_number(801),
            "region_code": PINGWEI_VILLAGE,
        },
        status=422,
    ),
    # Workers.
    Probe("worker", "GET", "/workers/{worker_id}"),
    Probe("worker", "PATCH", "/workers/{worker_id}", fixed(notes="被改写")),
    Probe("worker", "DELETE", "/workers/{worker_id}"),
    Probe("worker", "GET", "/workers/{worker_id}/timeline"),
    Probe("worker", "GET", "/workers/{worker_id}/matches"),
    Probe("worker", "GET", "/workers/{worker_id}/visits"),
    Probe("worker", "POST", "/workers/{worker_id}/visits", lambda _w: visit_body()),
    Probe("worker", "GET", "/workers/{worker_id}", ids=(("worker_id", "available_worker"),)),
    # Our worker's ID number registered again: 409, without naming our record.
    Probe(
        "worker",
        "POST",
        "/workers",
        lambda w: {
            "household_id": w.ids["prober_household"],
            "full_name": "祁春花",
            "id_number": w.sent["worker_id_number"],
            "region_code": PINGWEI_VILLAGE,
        },
        status=409,
        echoed=("祁春花", "worker_id_number"),
    ),
    # Employers (caseworkers read every employer).
    Probe("employer", "GET", "/employers/{employer_id}", shared=True),
    Probe("employer", "PATCH", "/employers/{employer_id}", fixed(address="被改写")),
    Probe("employer", "POST", "/employers/{employer_id}/verify"),
    # Vacancies (caseworkers read every vacancy, and rank their own workers for it).
    Probe("vacancy", "GET", "/vacancies/{vacancy_id}", shared=True),
    Probe("vacancy", "PATCH", "/vacancies/{vacancy_id}", fixed(title="被改写")),
    Probe("vacancy", "POST", "/vacancies/{vacancy_id}/close"),
    Probe("vacancy", "GET", "/vacancies/{vacancy_id}/candidates", shared=True, owner_finds=True),
    # Referrals: the hired one and the open one.
    Probe("referral", "GET", "/referrals/{referral_id}"),
    Probe("referral", "GET", "/referrals/{referral_id}", ids=(("referral_id", "open_referral"),)),
    *(
        Probe(
            "referral",
            "POST",
            f"/referrals/{{referral_id}}/{action}",
            body,
            ids=(("referral_id", "open_referral"),),
        )
        for action, body in (
            ("interview", None),
            ("hire", lambda _w: {"start_date": on()}),
            ("decline", fixed(**REASON)),
            ("withdraw", fixed(**REASON)),
        )
    ),
    Probe(
        "referral",
        "POST",
        "/referrals",
        lambda w: {"worker_id": w.ids["available_worker"], "vacancy_id": w.ids["vacancy"]},
    ),
    # Employments: the hire and the self-employment.
    Probe("employment", "GET", "/employments/{employment_id}"),
    Probe(
        "employment",
        "GET",
        "/employments/{employment_id}",
        ids=(("employment_id", "self_employment"),),
    ),
    Probe("employment", "POST", "/employments/{employment_id}/confirm"),
    Probe(
        "employment",
        "POST",
        "/employments/{employment_id}/end",
        lambda _w: {"end_date": on(), "end_reason": "resigned"},
    ),
    Probe(
        "employment",
        "POST",
        "/employments",
        worker_ref("available_worker", kind="self_employed", start_date=on()),
    ),
    # Follow-ups.
    Probe(
        "follow_up",
        "POST",
        "/follow-ups/{follow_up_id}",
        fixed(still_employed=True, monthly_wage_fen=300000),
    ),
    # Recruitment events (caseworkers read every event; the counts are of their own scope).
    Probe(
        "recruitment_event",
        "GET",
        "/recruitment-events/{event_id}",
        shared=True,
        check=counts_none_of_ours,
    ),
    Probe(
        "recruitment_event",
        "POST",
        "/recruitment-events/{event_id}/attendees",
        worker_ref("available_worker"),
    ),
    Probe(
        "recruitment_event",
        "POST",
        "/recruitment-events/{event_id}/participants",
        lambda w: {"employer_ids": [w.ids["prober_employer"]], "vacancy_ids": []},
    ),
    # Training sessions (caseworkers read every session; enrolments are of their scope).
    Probe("training_session", "GET", "/training/sessions/{session_id}", shared=True),
    Probe(
        "training_session",
        "PATCH",
        "/training/sessions/{session_id}",
        fixed(provider="被改写"),
    ),
    Probe(
        "training_session",
        "GET",
        "/training/sessions/{session_id}/suggested-workers",
        shared=True,
        owner_finds=True,
    ),
    Probe(
        "training_session",
        "GET",
        "/training/sessions/{session_id}/enrolments",
        shared=True,
        owner_finds=True,
    ),
    Probe(
        "training_session",
        "POST",
        "/training/sessions/{session_id}/enrolments",
        worker_ref("available_worker"),
    ),
    # Enrolments.
    Probe("enrolment", "GET", "/training/enrolments/{enrolment_id}"),
    Probe(
        "enrolment",
        "POST",
        "/training/enrolments/{enrolment_id}/attendance",
        lambda _w: {"day": on(1)},
    ),
    Probe(
        "enrolment",
        "POST",
        "/training/enrolments/{enrolment_id}/complete",
        fixed(certificate_number="PROBE-1"),
    ),
    Probe("enrolment", "POST", "/training/enrolments/{enrolment_id}/drop", fixed(**REASON)),
    # Claims and their evidence.
    Probe("claim", "GET", "/claims/{claim_id}"),
    Probe("claim", "PATCH", "/claims/{claim_id}", fixed(notes="被改写")),
    Probe("claim", "GET", "/claims/{claim_id}/history"),
    Probe("claim", "POST", "/claims/{claim_id}/submit"),
    Probe("claim", "POST", "/claims/{claim_id}/approve"),
    Probe("claim", "POST", "/claims/{claim_id}/reject", fixed(**REASON)),
    Probe("claim", "POST", "/claims/{claim_id}/return", fixed(**REASON)),
    Probe("claim", "POST", "/claims/{claim_id}/objections", fixed(**REASON)),
    Probe("claim", "POST", "/claims/{claim_id}/pay", fixed(payment_reference="PAY-PROBE")),
    Probe("claim", "POST", "/claims/{claim_id}/findings", fixed(severity="high", note="试探")),
    Probe("claim", "POST", "/claims/{claim_id}/attachments", upload=True),
    Probe("claim", "GET", "/claims/{claim_id}/attachments"),
    Probe("claim", "GET", "/claims/{claim_id}/attachments/{attachment_id}"),
    # Claims on our worker: an employer's subsidy on our employment, a worker's on our worker.
    # Who files which policy is a rule of the policy, checked before any record is read.
    Probe(
        "claim",
        "POST",
        "/claims",
        lambda w: {
            "policy_code": "on_job_training",
            "worker_id": w.ids["worker"],
            "employment_id": w.ids["employment"],
            "period_start": month(12),
            "period_end": month(8),
        },
        by_role=(("caseworker", 403), ("admin", 403)),
    ),
    Probe(
        "claim",
        "POST",
        "/claims",
        lambda w: {
            "policy_code": "job_seeking_once",
            "worker_id": w.ids["available_worker"],
        },
        by_role=(("employer", 403),),
    ),
    # Photos of our visit, household and worker, and the photos themselves.
    *(
        Probe("photo", method, f"/{owners}/{{{owner}_id}}/photos", upload=method == "POST")
        for owners, owner in (
            ("visits", "visit"),
            ("households", "household"),
            ("workers", "worker"),
        )
        for method in ("GET", "POST")
    ),
    Probe("photo", "GET", "/photos/{photo_id}/content"),
    Probe("photo", "DELETE", "/photos/{photo_id}"),
    # Targets.
    Probe("target", "GET", "/targets/{target_id}"),
    Probe("target", "PATCH", "/targets/{target_id}", fixed(value=1)),
    # The first tenant's caseworker's account (admins only).
    Probe("user", "GET", "/users/{user_id}"),
    Probe("user", "PATCH", "/users/{user_id}", fixed(full_name="被改写")),
    Probe("user", "POST", "/users/{user_id}/password", fixed(password="试探 horse battery 9")),
]
RESOURCES = list(dict.fromkeys(p.resource for p in PROBES))

# Routes with an id that no probe calls, and why.
EXEMPT = {
    # Programme-wide reference data, no tenant's: every signed-in user reads every policy, and
    # only district-level admins change them (role_matrix.json: 403 for every other role and
    # for a township admin; tests/security/test_admin_scope.py).
    ("GET", "/subsidy-policies/{policy_id}"): "reference data every user reads",
    ("PATCH", "/subsidy-policies/{policy_id}"): "district admins only; no tenant",
    # The course catalogue is the district's, not a township's; only district admins change it.
    ("GET", "/training/courses/{course_id}"): "reference data every member of staff reads",
    ("PATCH", "/training/courses/{course_id}"): "district admins only; no tenant",
    # A district's assigned list is changed by admins at district level or above only; an
    # admin of another district gets the 404 (tests/routers/test_assignments.py).
    ("DELETE", "/assignments/{assignment_id}"): "district admins only; probed per district",
}


def expectation(probe: Probe, role: str) -> int | str:
    """403 when the role may never call the route, "shared" when it sees the record by
    design, else the probe's status (404: the record does not exist for it)."""
    row = MATRIX.get(probe.operation)
    assert row is not None, f"{probe.operation} is not in role_matrix.json"
    if row[MATRIX_COLUMN.get(role, role)] == "403":
        return 403
    if probe.shared and probe.resource in SHARED_WITH[role]:
        return "shared"
    return dict(probe.by_role).get(role, probe.status)


MATRIX = matrix.load()


async def send(w: World, client: AsyncClient, probe: Probe) -> tuple[str, Response]:
    """Make the probe's request as ``client``: what was asked (for messages), the answer."""
    path = API_PREFIX + probe.path(w)
    if probe.upload:
        asked = f"POST {path} (an evidence file)"
        return asked, await client.post(path, files={"file": ("平圩.png", PNG, "image/png")})
    # An edit names the version the owner just read: only the scope can refuse it.
    headers = {"If-Match": w.etags[probe.path(w)]} if probe.method == "PATCH" else {}
    body = probe.body(w) if probe.body else None
    asked = f"{probe.method} {path}" + (f" {body}" if body is not None else "")
    return asked, await client.request(probe.method, path, json=body, headers=headers)


async def probe_records(factory: Factory, role: str, resource: str) -> None:
    w = await build_world(factory)
    before = await snapshot(w)
    prober, forbidden = w.probers[role], w.forbidden(role)
    problems: list[str] = []
    for probe in (p for p in PROBES if p.resource == resource):
        expected = expectation(probe, role)
        asked, r = await send(w, prober, probe)
        said = f"{asked} as {PROBERS[role]}: {r.status_code} {excerpt(r)}"
        if expected == "shared":
            # Shared by design: the record itself, but nothing private of ours with it.
            if r.status_code != 200:
                problems.append(f"{said} (the record is shared by design: 200 expected)")
            leaked = sightings(parsed(r), forbidden, kind=probe.resource)
            if r.status_code == 200 and probe.check:
                leaked += probe.check(r.json())
            if probe.owner_finds:
                _, mine = await send(w, w.owners[role], probe)
                assert sightings(parsed(mine), forbidden, kind=probe.resource), (
                    f"{asked} finds nothing private of ours even for the owner: {excerpt(mine)}"
                )
        else:
            if r.status_code != expected:
                problems.append(f"{said} ({expected} expected)")
            echoed = frozenset(t for e in probe.echoed for t in echo_forms(w.sent.get(e, e)))
            leaked = sightings(parsed(r), forbidden, echoed=echoed)
        if leaked:
            problems.append(f"{said} carries {leaked}")
    problems += changes(before, await snapshot(w))
    assert not problems, "\n".join(problems)


# One test per prober and kind of record, so that a failure names both.


@pytest.mark.parametrize("resource", RESOURCES)
async def test_a_caseworker_of_another_township_cannot_read_edit_or_delete(
    factory: Factory, resource: str
) -> None:
    await probe_records(factory, "caseworker", resource)


@pytest.mark.parametrize("resource", RESOURCES)
async def test_another_employer_cannot_read_edit_or_delete(factory: Factory, resource: str) -> None:
    await probe_records(factory, "employer", resource)


@pytest.mark.parametrize("resource", RESOURCES)
async def test_an_auditor_of_another_township_cannot_read_or_flag(
    factory: Factory, resource: str
) -> None:
    await probe_records(factory, "auditor", resource)


# Lists, searches, exports and syncs.


def params(**values: Any) -> Callable[[World], dict[str, Any]]:
    """Query parameters; "@name" stands for World.ids["name"] (or World.sent["name"])."""

    def resolve(w: World, value: Any) -> Any:
        if not (isinstance(value, str) and value.startswith("@")):
            return value
        name = value[1:]
        return w.ids[name] if name in w.ids else w.sent[name]

    return lambda w: {k: resolve(w, v) for k, v in values.items()}


NO_QUERY = params()


@dataclass(frozen=True)
class Search:
    """A list, search, export or sync. For its owner of the prober's role it finds first-tenant
    records (unless ``owner_finds`` is False); for the prober, none."""

    topic: str
    path: str
    query: Callable[[World], dict[str, Any]] = NO_QUERY
    kind: str | None = None  # the kind of record an item's "id" names
    owner_finds: bool = True
    statuses: frozenset[int] = frozenset({200})  # what the prober may get (with nothing)

    @property
    def operation(self) -> str:
        return f"GET {API_PREFIX}{self.path}"


def search(topic: str, path: str, kind: str | None, **values: Any) -> Search:
    """A list of JSON items, a page of 200."""
    return Search(topic, path, params(limit=200, **values), kind)


OUT_OF_SCOPE = frozenset({200, 404})  # a filter naming our region: 404, or an empty answer
SEARCHES: list[Search] = [
    search("workers", "/workers", "worker"),
    search("workers", "/workers", "worker", name="祁春花"),
    search("workers", "/workers", "worker", name="祁"),
    search("workers", "/workers", "worker", id_suffix="@worker_id_suffix"),
    search("workers", "/workers", "worker", household_id="@household"),
    search("workers", "/workers", "worker", skill="sewing"),
    search("workers", "/workers", "worker", updated_since=EPOCH),
    Search("workers", "/workers", params(region=QIJI), "worker", statuses=OUT_OF_SCOPE),
    Search("workers", "/workers", params(region=XUGANG), "worker", statuses=OUT_OF_SCOPE),
    search("households", "/households", "household"),
    search("households", "/households", "household", number="@household_number"),
    search("households", "/households", "household", updated_since=EPOCH),
    Search("households", "/households", params(region=QIJI), "household", statuses=OUT_OF_SCOPE),
    search("visits", "/visits", "visit"),
    search("visits", "/visits", "visit", updated_since=EPOCH),
    search("referrals", "/referrals", "referral"),
    search("referrals", "/referrals", "referral", worker_id="@worker"),
    search("referrals", "/referrals", "referral", vacancy_id="@vacancy"),
    search("referrals", "/referrals", "referral", event_id="@recruitment_event"),
    search("referral sync", "/referrals", "referral", updated_since=EPOCH),
    search("employments", "/employments", "employment"),
    search("employments", "/employments", "employment", worker_id="@worker"),
    search("employments", "/employments", "employment", employer_id="@employer"),
    search("employments", "/employments", "employment", updated_since=EPOCH),
    search("follow-ups", "/follow-ups", "follow_up"),
    search("follow-ups", "/follow-ups", "follow_up", due_before="2100-01-01"),
    search("training", "/training/enrolments", "enrolment"),
    search("training", "/training/enrolments", "enrolment", worker_id="@referred_worker"),
    search("training", "/training/enrolments", "enrolment", updated_since=EPOCH),
    search("training", "/training/sessions", "training_session"),
    search("training", "/training/sessions", "training_session", township=QIJI),
    search("claims", "/claims", "claim"),
    search("claims", "/claims", "claim", worker_id="@worker"),
    search("claims", "/claims", "claim", employer_id="@employer"),
    Search("claims", "/claims", params(region=QIJI), "claim", statuses=OUT_OF_SCOPE),
    # The public notice shows approved claims to everyone by design; our draft is not one.
    Search("claims", "/claims/public-notice", params(limit=200), "claim", owner_finds=False),
    Search("claims", "/claims/export", params(format="csv"), "claim"),
    Search("claims", "/claims/export", params(format="xlsx"), "claim"),
    Search(
        "claims", "/claims/export", params(format="csv", region=QIJI), statuses=OUT_OF_SCOPE
    ),
    search("events", "/recruitment-events", "recruitment_event"),
    search("vacancies", "/vacancies", "vacancy"),
    search("vacancies", "/vacancies", "vacancy", employer_id="@employer"),
    search("vacancies", "/vacancies", "vacancy", updated_since=EPOCH),
    search("employers", "/employers", "employer"),
    search("employers", "/employers", "employer", name="祁集甲"),
    search("audit", "/audit-log", None),
    search("audit", "/audit-log", None, resource_type="worker", resource_id="@worker"),
    search("audit", "/audit-log", None, resource_type="claim", resource_id="@claim"),
    Search("audit", "/audit/alerts", owner_finds=False),
    search("photos", "/photos", "photo"),
    search("photos", "/photos", "photo", updated_since=EPOCH),
    search("targets", "/targets", "target"),
    search("targets", "/service-stations", "service_station"),
    search("users", "/users", "user"),
    # Figures of our township: there is no such region for the prober.
    Search("stats", "/stats/overview", params(region=QIJI), owner_finds=False,
           statuses=frozenset({404})),
    Search("stats", "/stats/overview.xlsx", params(region=QIJI), owner_finds=False,
           statuses=frozenset({404})),
    Search("stats", "/stats/breakdown", params(by="township", region=QIJI), owner_finds=False,
           statuses=frozenset({404})),
]  # fmt: skip
# GET /referrals?updated_since= answers 500 to everyone, its owner included: the referral
# rows are (Referral, worker columns) and pagination.paginate_changes reads
# ``row.change_seq``, which such a row does not have (AttributeError). A crash, not a leak;
# the probe stays, expected to fail until the sync is mended (strict: then it must pass).
TOPICS = list(dict.fromkeys(s.topic for s in SEARCHES))


async def probe_searches(factory: Factory, role: str, topic: str) -> None:
    w = await build_world(factory)
    owner, prober = w.owners[role], w.probers[role]
    forbidden = w.forbidden(role)
    problems: list[str] = []
    for s in (s for s in SEARCHES if s.topic == topic):
        query = s.query(w)
        row = MATRIX.get(s.operation)
        assert row is not None, f"{s.operation} is not in role_matrix.json"
        said = f"GET {s.path} {query} as {PROBERS[role]}"
        r = await prober.get(API_PREFIX + s.path, params=query)
        if row[MATRIX_COLUMN.get(role, role)] == "403":
            if r.status_code != 403:
                problems.append(f"{said}: {r.status_code} {excerpt(r)} (403 expected)")
            continue
        if r.status_code not in s.statuses:
            problems.append(f"{said}: {r.status_code} {excerpt(r)} ({sorted(s.statuses)})")
        leaked = sightings(parsed(r), forbidden, kind=s.kind)
        if leaked:
            problems.append(f"{said}: {r.status_code} carries {leaked}")
        if s.owner_finds:
            # The same question finds our records for their owner: the probe is not vacuous.
            mine = await owner.get(API_PREFIX + s.path, params=query)
            assert mine.status_code == 200, f"GET {s.path} {query} as the owner: {mine.text}"
            assert sightings(parsed(mine), w.markers, kind=s.kind), (
                f"GET {s.path} {query} finds nothing of ours even for the owner ({role}): "
                f"{excerpt(mine)}"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("resource", RESOURCES)
async def test_an_admin_of_another_township_cannot_read_edit_or_review(
    factory: Factory, resource: str
) -> None:
    await probe_records(factory, "admin", resource)


@pytest.mark.parametrize("topic", TOPICS)
async def test_a_caseworker_of_another_township_finds_none_of_ours_in_lists_or_searches(
    factory: Factory, topic: str
) -> None:
    await probe_searches(factory, "caseworker", topic)


@pytest.mark.parametrize("topic", TOPICS)
async def test_another_employer_finds_none_of_ours_in_lists_or_searches(
    factory: Factory, topic: str
) -> None:
    await probe_searches(factory, "employer", topic)


@pytest.mark.parametrize("topic", TOPICS)
async def test_an_auditor_of_another_township_finds_none_of_ours_in_lists_or_exports(
    factory: Factory, topic: str
) -> None:
    await probe_searches(factory, "auditor", topic)


@pytest.mark.parametrize("topic", TOPICS)
async def test_an_admin_of_another_township_finds_none_of_ours_in_lists_or_exports(
    factory: Factory, topic: str
) -> None:
    await probe_searches(factory, "admin", topic)


# The guard: no route with an id escapes the table.


def id_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every route of app.routers.* whose path has an ``{..._id}``."""
    return {
        (method, route.path)
        for route in api_routes()
        if re.search(r"\{\w+_id\}", route.path)
        for method in route.methods or ()
    }


def test_every_route_with_an_id_is_probed_or_exempted_with_a_reason() -> None:
    routes = id_routes()
    probed = {(p.method, p.route) for p in PROBES}
    missing = sorted(routes - probed - EXEMPT.keys())
    assert not missing, f"routes with an id that no cross-tenant probe calls: {missing}"
    assert not probed & EXEMPT.keys(), "a route is both probed and exempted"
    assert not EXEMPT.keys() - routes, f"exempted routes gone: {sorted(EXEMPT.keys() - routes)}"
    gone = sorted(op for op in {p.operation for p in PROBES} | {s.operation for s in SEARCHES}
                  if op not in MATRIX)  # fmt: skip
    assert not gone, f"probed operations the app no longer has: {gone}"

"""A phone team's flows through the client openapi-python-client generated from
openapi/openapi.json, against the real server. Run by tests/contract/test_python_client.py in
the generator's own venv, with the generated package on the path:

    python python_client_flow.py BASE_URL PASSWORD

Each step asserts what the team relies on; the last line printed is ``flows: ok``."""

from __future__ import annotations

import sys
import uuid

from jobpath_client import AuthenticatedClient, Client
from jobpath_client.api.auth import get_current_user, sign_in
from jobpath_client.api.households import create_household, list_households
from jobpath_client.api.workers import get_worker, list_workers, update_worker
from jobpath_client.models import (
    BodySignIn,
    HouseholdCreate,
    HouseholdRead,
    Skill,
    TokenResponse,
    VersionMismatchProblem,
    WorkerRead,
    WorkerUpdate,
)


def main(base_url: str, password: str) -> None:
    signed = sign_in.sync(
        client=Client(base_url, raise_on_unexpected_status=True),
        body=BodySignIn(username="caseworker", password=password),
    )
    assert isinstance(signed, TokenResponse), signed
    client = AuthenticatedClient(
        base_url,
        token=signed.access_token,
        raise_on_unexpected_status=True,
        headers={"Accept-Language": "zh-CN"},
    )
    me = get_current_user.sync(client=client)
    assert me is not None
    assert me.username == "caseworker", me
    print("signed in")

    # A list read with its cursor: two pages, no worker twice.
    first = list_workers.sync(client=client, limit=2)
    assert first is not None
    assert first.next_cursor, first
    second = list_workers.sync(client=client, limit=2, cursor=first.next_cursor)
    assert second is not None
    assert second.items, second
    assert not {w.id for w in first.items} & {w.id for w in second.items}
    print("listed with a cursor")

    # Offline sync: everything since the beginning, then nothing new from the token given back.
    beginning = "1970-01-01T00:00:00Z"
    synced = list_households.sync(client=client, limit=100, updated_since=beginning)
    assert synced is not None
    assert synced.items, synced
    assert synced.sync_token, synced
    again = list_households.sync(client=client, limit=100, updated_since=synced.sync_token)
    assert again is not None
    assert again.items == [], again
    print("synced")

    # A create with an Idempotency-Key, and its retry: the same household, replayed.
    key = str(uuid.uuid4())
    body = HouseholdCreate.from_dict(
        {
            "household_number": "3404061072019876",
            "region_code": "340406107201",
            "poverty_status": "in_poverty",
        }
    )
    made = create_household.sync_detailed(client=client, body=body, idempotency_key=key)
    retried = create_household.sync_detailed(client=client, body=body, idempotency_key=key)
    assert made.status_code == 201, made
    assert isinstance(made.parsed, HouseholdRead), made
    assert retried.status_code == 201, retried
    assert isinstance(retried.parsed, HouseholdRead), retried
    assert retried.parsed.id == made.parsed.id
    assert retried.headers.get("Idempotent-Replayed") == "true"
    print("created once")

    # An edit with If-Match, and a second phone's edit from the same old ETag: 412, typed.
    worker_id = second.items[0].id
    read = get_worker.sync_detailed(worker_id=worker_id, client=client)
    etag = read.headers["ETag"]
    assert isinstance(read.parsed, WorkerRead)
    new = [Skill.PASTRY] if read.parsed.skills == [Skill.COOKING] else [Skill.COOKING]
    edited = update_worker.sync_detailed(
        worker_id=worker_id, client=client, body=WorkerUpdate(skills=new), if_match=etag
    )
    assert edited.status_code == 200, edited
    assert isinstance(edited.parsed, WorkerRead), edited
    stale = update_worker.sync_detailed(
        worker_id=worker_id, client=client, body=WorkerUpdate(skills=[Skill.SEWING]), if_match=etag
    )
    assert stale.status_code == 412, stale
    problem = stale.parsed
    assert isinstance(problem, VersionMismatchProblem), problem
    assert problem.code == "version_mismatch"
    assert problem.differing_fields == ["skills"]
    assert problem.current_version == edited.parsed.version
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem.title)  # asked for Chinese
    print("412 read as a VersionMismatchProblem")
    print("flows: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

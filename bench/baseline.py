"""The ceiling: a bare FastAPI app on a raw asyncpg pool serving the same 50 workers as the real
`GET /api/v1/workers` for the same caseworker, serialised by hand. Not part of the product.

    uvicorn bench.baseline:app --port 8766   (DATABASE_URL=postgresql://…)
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import Response

SCOPE = os.environ.get("BASELINE_REGION_PATH", "340000/340100/")
POOL = int(os.environ.get("BASELINE_POOL_SIZE", "10"))
SQL = """
SELECT id, household_id, full_name, id_number, sex, phone, region_code, employment_status,
       able_to_work, skills, training_wishes, job_wishes, work_location_wish,
       disability_level, version, updated_at
FROM workers
WHERE region_code IN (SELECT code FROM regions WHERE path LIKE $1)
  AND deleted_at IS NULL
ORDER BY id
LIMIT $2
"""


def _mask_id(value: str) -> str:
    return value[:6] + "*" * 8 + value[-4:]


def _mask_phone(value: str | None) -> str | None:
    return None if value is None else value[:3] + "****" + value[-4:]


def _item(r: Any) -> dict[str, Any]:
    return {
        "id": r[0], "household_id": r[1], "full_name": r[2], "id_number": _mask_id(r[3]),
        "sex": r[4], "birth_date": None, "phone": _mask_phone(r[5]), "region_code": r[6],
        "employment_status": r[7], "able_to_work": r[8], "skills": json.loads(r[9]),
        "training_wishes": json.loads(r[10]), "job_wishes": json.loads(r[11]),
        "work_location_wish": r[12], "disability_level": r[13], "version": r[14],
        "updated_at": r[15].isoformat().replace("+00:00", "Z"), "deleted": False,
    }  # fmt: skip


@asynccontextmanager
async def lifespan(application: FastAPI) -> AsyncIterator[None]:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    application.state.pool = await asyncpg.create_pool(url, min_size=POOL, max_size=POOL)
    yield
    await application.state.pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/workers")
async def workers(request: Request, limit: int = 50) -> Response:
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(SQL, SCOPE + "%", limit + 1)
    items = [_item(r) for r in rows[:limit]]
    body = json.dumps({"items": items, "next_cursor": None, "sync_token": None},
                      ensure_ascii=False)  # fmt: skip
    return Response(body, media_type="application/json")

from httpx import AsyncClient

from tests.factories import Factory


async def test_health(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_me(factory: Factory) -> None:
    c = await factory.as_role("caseworker")
    r = await c.get("/api/v1/auth/me")
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "caseworker"

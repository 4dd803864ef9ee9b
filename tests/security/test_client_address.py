"""Who the client is. ``X-Forwarded-For`` is believed only from a reverse proxy named in
``JOBPATH_TRUSTED_PROXIES`` (none by default), and that holds however the server is started:
an attacker who forges the header on every attempt cannot spread failed sign-ins over made-up
addresses and slip under the per-address limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from httpx import AsyncClient, Response

from app.core.config import get_settings
from tests.factories import problem
from tests.security.apps import PEER, app_with, over_asgi, served

LIMIT = 20  # JOBPATH_LOGIN_MAX_FAILURES_PER_ADDRESS's default


async def sign_in(client: AsyncClient, n: int, *, forwarded_for: str) -> Response:
    """A failed sign-in to a made-up account (a new one each time: no account lock-out)."""
    return await client.post(
        "/api/v1/auth/token",
        data={"username": f"guess{n}", "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
    )


async def spray(client: AsyncClient) -> list[int]:
    """The limit's worth of failures, each claiming to come from another address."""
    return [
        (await sign_in(client, n, forwarded_for=f"198.51.100.{n}")).status_code
        for n in range(LIMIT)
    ]


@pytest.fixture(autouse=True)
def _default_limit() -> None:
    assert get_settings().login_max_failures_per_address == LIMIT


class TestAnUntrustedPeer:
    async def test_forged_addresses_still_count_against_the_peer(self, database_url: str) -> None:
        async with served(app_with(database_url)) as c:
            assert await spray(c) == [401] * LIMIT
            problem(await sign_in(c, LIMIT, forwarded_for="192.0.2.99"), 429, "login_throttled")

    async def test_a_peer_outside_the_trusted_networks_is_not_believed(
        self, database_url: str
    ) -> None:
        trusting = app_with(database_url, trusted_proxies=["10.0.0.0/8", "192.0.2.1/32"])
        async with served(trusting) as c:
            assert await spray(c) == [401] * LIMIT
            problem(await sign_in(c, LIMIT, forwarded_for="192.0.2.99"), 429, "login_throttled")


class TestATrustedProxy:
    async def test_the_forwarded_address_is_the_one_counted(self, database_url: str) -> None:
        async with over_asgi(app_with(database_url, trusted_proxies=[f"{PEER}/32"])) as c:
            for n in range(LIMIT):
                r = await sign_in(c, n, forwarded_for="198.51.100.1")
                assert r.status_code == 401, r.text
            problem(await sign_in(c, LIMIT, forwarded_for="198.51.100.1"), 429, "login_throttled")
            # Another client behind the same proxy is not throttled.
            r = await sign_in(c, LIMIT + 1, forwarded_for="198.51.100.2")
            assert r.status_code == 401, r.text

    async def test_a_client_cannot_prepend_an_address_to_the_proxys_header(
        self, database_url: str
    ) -> None:
        # The proxy appends the address it saw; whatever the client wrote comes before it.
        async with over_asgi(app_with(database_url, trusted_proxies=[PEER])) as c:
            for n in range(LIMIT):
                r = await sign_in(c, n, forwarded_for=f"192.0.2.{n}, 198.51.100.1")
                assert r.status_code == 401, r.text
            r = await sign_in(c, LIMIT, forwarded_for="192.0.2.250, 198.51.100.1")
            problem(r, 429, "login_throttled")
            # The client the proxy saw is counted, not the peer: another one may still try.
            r = await sign_in(c, LIMIT + 1, forwarded_for="192.0.2.250, 198.51.100.2")
            assert r.status_code == 401, r.text


class TestTheSetting:
    def test_a_wildcard_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JOBPATH_TRUSTED_PROXIES", "*")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="trust every client"):
            get_settings()
        get_settings.cache_clear()

    def test_addresses_and_networks_are_read_from_a_comma_separated_list(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JOBPATH_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,fd00::/8")
        get_settings.cache_clear()
        assert get_settings().trusted_proxies == ["10.0.0.5/32", "10.1.0.0/16", "fd00::/8"]
        get_settings.cache_clear()

    def test_the_docker_image_starts_the_server_through_jobpath_serve(self) -> None:
        dockerfile = (Path(__file__).parents[2] / "Dockerfile").read_text(encoding="utf-8")
        cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
        assert re.search(r"\bjobpath serve\b", cmd), cmd
        assert not re.search(r"proxy-headers|forwarded-allow-ips", cmd), cmd

"""JWT access and refresh tokens: one algorithm, every registered claim required, a ``kid``."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import jwt

from app.core.keys import KeyRing

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "sub", "iss", "aud", "jti", "typ", "sid", "ver"]
TokenType = Literal["access", "refresh"]


class InvalidToken(Exception):
    """The token is not one this service issued, or no longer valid."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str
    jti: str
    token_type: TokenType
    token_version: int
    issued_at: int
    expires_at: int


def encode(claims: TokenClaims, *, keys: KeyRing, issuer: str, audience: str) -> str:
    """Sign ``claims``. The same claims always give the same string (HS256 is deterministic),
    which lets a refresh answer be repeated without storing the token itself."""
    payload = {
        "iss": issuer,
        "aud": audience,
        "sub": str(claims.user_id),
        "iat": claims.issued_at,
        "nbf": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.jti,
        "typ": claims.token_type,
        "sid": claims.session_id,
        "ver": claims.token_version,
    }
    return jwt.encode(
        payload, keys.active_key, algorithm=ALGORITHM, headers={"kid": keys.active_kid}
    )


# Verified tokens remembered per key ring: a phone sends the same access token with every
# request, and checking its signature and claims again each time costs more than the page it
# asks for. A remembered token is still refused once it expires; revocation, deactivation and
# password changes are checked in the database on every request regardless.
_VERIFIED_MAX = 10_000


def decode(
    token: str, *, expected: TokenType, keys: KeyRing, issuer: str, audience: str
) -> TokenClaims:
    remembered = (token, expected, issuer, audience)
    claims = keys.verified.get(remembered)
    if claims is not None and time.time() < claims.expires_at:
        return claims  # type: ignore[no-any-return]
    claims = _verify(token, expected=expected, keys=keys, issuer=issuer, audience=audience)
    if len(keys.verified) >= _VERIFIED_MAX:
        keys.verified.pop(next(iter(keys.verified)))
    keys.verified[remembered] = claims
    return claims


def _verify(
    token: str, *, expected: TokenType, keys: KeyRing, issuer: str, audience: str
) -> TokenClaims:
    try:
        header = jwt.get_unverified_header(token)
        key = keys.keys.get(str(header.get("kid")))
        if key is None or header.get("alg") != ALGORITHM:
            raise InvalidToken("unknown key or algorithm")
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if payload["typ"] != expected:
        raise InvalidToken(f"expected a {expected} token")
    try:
        return TokenClaims(
            user_id=int(payload["sub"]),
            session_id=str(payload["sid"]),
            jti=str(payload["jti"]),
            token_type=expected,
            token_version=int(payload["ver"]),
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
        )
    except (TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())

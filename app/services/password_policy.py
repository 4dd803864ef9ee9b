"""The password policy: a length range, and zxcvbn's strength estimate (see
:mod:`app.core.passwords`) with the account's own words as the first guesses. The same rule
for an account's first password (API and ``jobpath create-user``), an admin's reset and a
change of one's own."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core import passwords
from app.core.config import get_settings
from app.errors import FieldError, Unprocessable
from app.models import Employer, Region, User


class WeakPassword(Unprocessable):
    code = "weak_password"
    title = "The password is not acceptable"


@dataclass(frozen=True)
class AccountWords:
    """What an attacker who knows the account guesses first: its names, role and scope."""

    username: str
    full_name: str
    role: str
    region_code: str | None
    employer_id: int | None

    @classmethod
    def of(cls, user: User) -> AccountWords:
        return cls(user.username, user.full_name, user.role, user.region_code, user.employer_id)


async def ensure_acceptable(
    session: AsyncSession, *, password: str, account: AccountWords, field: str = "password"
) -> None:
    """Refuse a password out of the length range, or easier to guess than the configured
    score with the account's own words (names, role, region and its parents, employer, the
    service's name) as the first guesses; the refusal says why on ``body.<field>``."""
    texts = [account.username, account.full_name, account.role]
    texts += await _place_words(
        session, region_code=account.region_code, employer_id=account.employer_id
    )
    await ensure_strong(password, texts=texts, field=f"body.{field}")


async def ensure_strong(password: str, *, texts: list[str], field: str) -> None:
    """Refuse ``password`` (as :class:`WeakPassword`, naming ``field``) when it is out of the
    length range or easier to guess, with ``texts`` as the first guesses, than the minimum."""
    problems = await passwords.check_password(
        password,
        user_inputs=passwords.own_words(texts),
        min_score=get_settings().password_min_score,
    )
    if problems:
        raise WeakPassword(
            "The password is not acceptable: it " + "; it ".join(problems).rstrip(".") + ".",
            errors=[FieldError(field=field, message=p, type="password_policy") for p in problems],
        )


async def _place_words(
    session: AsyncSession, *, region_code: str | None, employer_id: int | None
) -> list[str]:
    """The employer's name, contact and credit code; the codes and names of the region (the
    employer's, for its users) and of every region above it."""
    words: list[str] = []
    employer = await session.get(Employer, employer_id) if employer_id is not None else None
    if employer is not None:
        words += [employer.name, employer.contact_name or "", employer.credit_code]
        region_code = region_code or employer.region_code
    region = await session.get(Region, region_code) if region_code is not None else None
    if region is not None:
        codes = [code for code in region.path.split("/") if code]
        found = await session.execute(
            select(col(Region.code), col(Region.name)).where(col(Region.code).in_(codes))
        )
        words += [text for row in found for text in row]
    return words

"""Password hashing (argon2id, off the event loop) and the password policy: a length range and
zxcvbn's strength estimate, with the account's own words as guesses an attacker tries first."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.matching import L33T_TABLE, enumerate_l33t_subs, relevant_l33t_subtable

from app.core.config import Settings

MIN_LENGTH = 8
MAX_LENGTH = 256
# zxcvbn's cost grows with the square of the length and with the number of ways the l33t
# characters present can be read (twenty different symbols in 32 characters: 736 readings,
# half a second; in 64 characters, 1.5 s). The estimate reads a bounded prefix, cut before
# the readings pass a small budget: well under 0.1 s at worst, off the event loop. A prefix
# that is hard to guess makes the whole password so; a weak prefix is refused, which errs safe.
ESTIMATE_CHARS = 48
MAX_L33T_READINGS = 8
# Words of the service itself, which every account of it could be guessed from.
SERVICE_WORDS = ("jobpath", "jiuye", "fupin", "bangfu")
# zxcvbn keeps the user's words in a module-level table while it estimates: one at a time.
_ZXCVBN = threading.Lock()
_L33T_CHARS = frozenset(c for subs in L33T_TABLE.values() for c in subs)
_OWN_WORDS_WARNING = "It contains your own name, username, region or employer."
_GENERIC_SUGGESTION = "Add another word or two. Uncommon words are better."


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def own_words(texts: Iterable[str | None]) -> list[str]:
    """The guesses an attacker who knows the account would try first: each text whole, and its
    parts (the ASCII words of "Zhang San 张三" alone and run together, digit runs of four or
    more, runs of Chinese characters)."""
    words: list[str] = []
    for text in texts:
        lowered = (text or "").strip().lower()
        if not lowered:
            continue
        letters = re.findall(r"[a-z]{3,}", lowered)
        words += [lowered, *letters, "".join(re.findall(r"[a-z]+", lowered))]
        words += re.findall(r"\d{4,}", lowered) + re.findall(r"[^\x00-\x7f]{2,}", lowered)
    return list(dict.fromkeys(w for w in [*words, *SERVICE_WORDS] if len(w) >= 2))


@dataclass(frozen=True)
class Strength:
    score: int  # zxcvbn's 0 (too guessable) to 4 (very unguessable)
    reasons: tuple[str, ...]  # zxcvbn's warning and suggestions, in its own fixed words


def estimated_part(password: str) -> str:
    """The prefix the estimate reads: at most ESTIMATE_CHARS, cut where the next new l33t
    character would take the readings past MAX_L33T_READINGS."""
    part, seen = password[:ESTIMATE_CHARS], ""
    for index, char in enumerate(part):
        if char in _L33T_CHARS and char not in seen:
            seen += char
            if _l33t_readings(seen) > MAX_L33T_READINGS:
                return part[:index]
    return part


def _l33t_readings(chars: str) -> int:
    return len(enumerate_l33t_subs(relevant_l33t_subtable(chars, L33T_TABLE)))


def estimate(password: str, *, user_inputs: Sequence[str]) -> Strength:
    """zxcvbn's score for ``password`` (its bounded prefix), and why it is no higher. CPU-bound:
    call it off the event loop."""
    with _ZXCVBN:
        result = zxcvbn(estimated_part(password), user_inputs=list(user_inputs))
    feedback = result["feedback"]
    # zxcvbn says nothing of the user's own words: the most telling reason, so it comes first.
    own = any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
    reasons = [_OWN_WORDS_WARNING if own else "", feedback["warning"], *feedback["suggestions"]]
    return Strength(result["score"], tuple(r for r in reasons if r) or (_GENERIC_SUGGESTION,))


def password_problems(password: str, *, user_inputs: Sequence[str], min_score: int) -> list[str]:
    """Why a password is refused (each a phrase that follows "it"); empty when acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"must be at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"must be at most {MAX_LENGTH} characters"]
    strength = estimate(password, user_inputs=user_inputs)
    if strength.score >= min_score:
        return []
    needed = f"strength {strength.score} of 4, at least {min_score} needed"
    return [f"is too easy to guess ({needed}). " + " ".join(strength.reasons)]


async def check_password(password: str, *, user_inputs: Sequence[str], min_score: int) -> list[str]:
    """:func:`password_problems`, in a worker thread (the estimate is CPU-bound)."""
    run = partial(password_problems, password, user_inputs=user_inputs, min_score=min_score)
    return await anyio.to_thread.run_sync(run)


async def hash_password(settings: Settings, password: str) -> str:
    return await anyio.to_thread.run_sync(hasher(settings).hash, password)


async def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    def _verify() -> bool:
        try:
            return hasher(settings).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(_verify)


def needs_rehash(settings: Settings, password_hash: str) -> bool:
    return hasher(settings).check_needs_rehash(password_hash)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("jobpath-timing-equaliser")


async def burn_verification_time(settings: Settings, password: str) -> None:
    """Spend what a real verification costs, so an unknown user answers as slowly as a known one."""
    dummy = _dummy_hash(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
    await verify_password(settings, dummy, password)

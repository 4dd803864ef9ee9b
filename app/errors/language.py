"""Which language a problem is written in: ``Accept-Language`` negotiated (RFC 9110 §12.5.4).

Chinese is written in simplified characters (the programme's own, 简体中文) for every ``zh``
range — ``zh``, ``zh-CN``, ``zh-Hans``, and ``zh-TW`` / ``zh-Hant`` too, since a reader of
traditional characters reads simplified ones far better than English. Everything else, and no
header at all, gets English. The highest q-value wins; a tie goes to the range listed first;
``q=0`` means "not this one".
"""

from __future__ import annotations

import re
from enum import StrEnum


class Language(StrEnum):
    en = "en"
    zh = "zh-CN"  # the Content-Language the answer carries


DEFAULT = Language.en
_QUALITY = re.compile(r"^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$", re.IGNORECASE)


def _quality(params: list[str]) -> float:
    for param in params:
        found = _QUALITY.match(param)
        if found:
            return float(found.group(1))
        if param.strip().lower().startswith("q"):
            return 0.0  # an unreadable weight: the range is not taken
    return 1.0


def _language(tag: str) -> Language | None:
    primary = tag.strip().lower().split("-", 1)[0]
    if primary == "zh":
        return Language.zh
    if primary in ("en", "*"):
        return Language.en
    return None


def negotiate(header: str | None) -> Language:
    """The answer's language for an ``Accept-Language`` header value (or none)."""
    best, best_q = DEFAULT, 0.0
    for part in (header or "")[:512].split(","):
        tag, *params = part.split(";")
        language, quality = _language(tag), _quality(params)
        if language is not None and quality > best_q:
            best, best_q = language, quality
    return best

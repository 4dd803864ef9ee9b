"""The catalogue of problem codes (``codes.ROWS``) as entries the renderer and the docs read."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors.codes import ROWS
from app.errors.language import Language


@dataclass(frozen=True)
class Entry:
    code: str
    status: int
    title_en: str
    title_zh: str
    meaning_en: str
    meaning_zh: str
    action_en: str
    action_zh: str

    def title(self, language: Language) -> str:
        return self.title_zh if language is Language.zh else self.title_en

    def placeholders(self) -> set[str]:
        """The extension fields the Chinese detail is filled in with (``{earliest}`` …)."""
        return {name for _, name, _, _ in string.Formatter().parse(self.meaning_zh) if name}

    def detail_zh(self, values: Mapping[str, Any]) -> str:
        """The Chinese ``detail``: what happened and what to do, with the answer's values."""
        try:
            meaning = self.meaning_zh.format_map(values)
        except (KeyError, IndexError, ValueError):
            meaning = self.title_zh + "。"
        return meaning + self.action_zh


CATALOGUE: dict[str, Entry] = {code: Entry(code, *row) for code, row in ROWS.items()}

# The entry an uncatalogued code falls back to, by status (a test makes sure none is needed).
_BY_STATUS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 408: "body_timeout", 409: "conflict",
    412: "version_mismatch", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed", 428: "if_match_required", 429: "too_many_requests",
    500: "internal_error", 503: "service_unavailable",
}  # fmt: skip


def entry(code: str, status: int) -> Entry:
    found = CATALOGUE.get(code)
    if found is not None:
        return found
    return CATALOGUE[_BY_STATUS.get(status, "internal_error" if status >= 500 else "http_error")]

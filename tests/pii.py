"""The personal-data scan: every response body and every log line the suite produces is
searched for full resident ID numbers and full mobile numbers. The only place they may
appear is the audited detail view of a worker (GET /api/v1/workers/{id})."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# The worker detail view shows full values to caseworkers and admins, and audits the read.
ALLOWED = re.compile(r"^GET /api/v1/workers/\d+$")
# Keys whose values are not personal data: an employer's published contact number and its
# unified social credit code (18 characters, all digits for some codes) are the business's;
# request ids and audit-chain or file hashes are random hex, which now and then holds eleven
# digits in a row that look like a mobile number (false alarms CI once raised).
NOT_PERSONAL_KEYS = frozenset(
    {"contact_phone", "credit_code", "request_id", "correlation_id", "hash", "prev_hash",
     "last_hash", "sha256"}
)  # fmt: skip


def _texts(value: Any, key: str | None = None) -> list[str]:
    if key in NOT_PERSONAL_KEYS:
        return []
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [str(value)] if isinstance(value, str) else []


def hits(text: str) -> list[str]:
    return ID_NUMBER.findall(text) + MOBILE.findall(text)


@dataclass
class Scan:
    findings: list[str] = field(default_factory=list)
    responses: int = 0
    log_lines: int = 0

    async def response(self, response: httpx.Response) -> None:
        request = response.request
        where = f"{request.method} {request.url.path}"
        if ALLOWED.match(where):
            return
        await response.aread()
        self.responses += 1
        kind = response.headers.get("content-type", "")
        if "json" in kind:
            try:
                texts = _texts(json.loads(response.content))
            except ValueError:
                texts = [response.text]
        elif kind.startswith("text/") or not kind:
            texts = [response.text]
        else:
            return  # files: XLSX exports are built by the same masking as the CSV
        for found in {h for t in texts for h in hits(t)}:
            self.findings.append(f"{where} → {response.status_code}: …{found[-6:]}")


_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class LogScan(logging.Handler):
    def __init__(self, scan: Scan) -> None:
        super().__init__(level=logging.DEBUG)
        self.scan = scan

    def emit(self, record: logging.LogRecord) -> None:
        self.scan.log_lines += 1
        extra = {
            k: v
            for k, v in record.__dict__.items()
            if k not in _STANDARD and k not in NOT_PERSONAL_KEYS
        }
        text = record.getMessage() + " " + json.dumps(extra, default=str, ensure_ascii=False)
        for found in set(hits(text)):
            self.scan.findings.append(f"log {record.name}: …{found[-6:]}")


SCAN = Scan()

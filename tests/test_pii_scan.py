"""The personal-data scan itself: it finds full ID and mobile numbers wherever they sit, and
does not cry wolf over random hex (request ids, hashes) that happens to hold a digit run."""

from __future__ import annotations

import logging

from tests.pii import LogScan, Scan, _texts, hits


def test_full_id_and_mobile_numbers_are_found_anywhere_in_a_body() -> None:
    body = {"items": [{"note": "电话13812345678", "id_number": "34040619850312001X"}]}
    assert sorted(h for t in _texts(body) for h in hits(t)) == ["13812345678", "34040619850312001X"]


def test_masked_values_are_not_hits() -> None:
    assert hits("138****5678 3404**********001X 张*明") == []


def test_hex_tokens_and_hashes_are_not_personal_data() -> None:
    hexish = "ab13812345678cd"  # a request id or hash with eleven digits in a row
    assert hits(hexish)  # on its own it would look like a mobile number ...
    body = {"request_id": hexish, "hash": hexish, "prev_hash": hexish, "sha256": hexish,
            "credit_code": "913404060000000081"}  # an employer's code, all digits  # fmt: skip
    assert [h for t in _texts(body) for h in hits(t)] == []  # ... under these keys it is not
    scan = Scan()
    record = logging.LogRecord("jobpath.access", logging.INFO, "", 0, "request", None, None)
    record.correlation_id = hexish
    LogScan(scan).emit(record)
    assert scan.findings == []
    record.path = "/api/v1/workers/13812345678"
    LogScan(scan).emit(record)
    assert scan.findings == ["log jobpath.access: …345678"]

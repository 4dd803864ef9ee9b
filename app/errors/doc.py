"""docs/errors.md, generated from the catalogue: every code and every field-error type, in
English and Chinese. ``jobpath errors-doc --output docs/errors.md`` writes it; a test fails when
the committed file differs."""

from __future__ import annotations

from collections.abc import Iterator

from app.errors.catalogue import CATALOGUE, Entry
from app.errors.family import AppError
from app.errors.fields import TYPES
from app.errors.shapes import Problem

_INTRO = """# Errors

<!-- Generated from app/errors/codes.py and app/errors/fields.py by
`jobpath errors-doc --output docs/errors.md`; do not edit by hand. -->

Every error is an `application/problem+json` document (RFC 9457): `type`
(`urn:jobpath:problem:<code>`), `title`, `status`, `detail`, a stable `code`, the `instance`
path and the `request_id` to quote when reporting it; a 422 names each offending field in
`errors` (`field`, `message`, `type`, and `position` for unreadable JSON).

**Language.** `Accept-Language` chooses the language of `title`, `detail` and each
`errors[].message`: any `zh` range (`zh-CN`, `zh`, `zh-Hans`, `zh-TW` …) gets simplified
Chinese, anything else English; q-values count (`en;q=0.9, zh;q=0.8` is English). `code` and
`errors[].type` never change with the language. Answers carry `Content-Language` (`en` or
`zh-CN`) and `Vary: Accept-Language`. The English `detail` is specific to the case; the
Chinese one is the meaning and advice below. Offending values are never repeated.

**Extension fields** are documented subschemas of `Problem` in the OpenAPI document.
"""


def _extensions() -> dict[str, type[Problem]]:
    """Each code raised by a class with extension fields, and that class's problem schema."""
    found: dict[str, type[Problem]] = {}
    todo: list[type[AppError]] = [AppError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.problem is not Problem and "code" in vars(cls):
            found.setdefault(cls.code, cls.problem)
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code_rows(entries: list[Entry], extensions: dict[str, type[Problem]]) -> Iterator[str]:
    yield "| code | status | title | 标题 | meaning / 含义 | what to do / 处理建议 | fields |"
    yield "|---|---|---|---|---|---|---|"
    for e in entries:
        model = extensions.get(e.code)
        extra = ""
        if model is not None:
            names = sorted(set(model.model_fields) - set(Problem.model_fields))
            extra = f"`{model.__name__}`: " + ", ".join(f"`{n}`" for n in names)
        yield (
            f"| `{e.code}` | {e.status} | {_cell(e.title_en)} | {_cell(e.title_zh)} | "
            f"{_cell(e.meaning_en)}<br>{_cell(e.meaning_zh)} | "
            f"{_cell(e.action_en)}<br>{_cell(e.action_zh)} | {extra} |"
        )


def _type_rows() -> Iterator[str]:
    yield "| type | English message | 中文提示（{label} 为字段的中文名） |"
    yield "|---|---|---|"
    for name, (english, chinese) in sorted(TYPES.items()):
        yield f"| `{name}` | {_cell(english)} | {_cell(chinese)} |"


def render() -> str:
    """The whole of docs/errors.md."""
    import app.main  # noqa: F401  (every service module, so every error class, is loaded)

    entries = sorted(CATALOGUE.values(), key=lambda e: (e.status, e.code))
    lines = [_INTRO, f"## Problem codes ({len(entries)})", ""]
    lines += _code_rows(entries, _extensions())
    lines += ["", f"## Field error types ({len(TYPES)})", ""]
    lines += [
        "Each `errors[]` entry has one of these `type`s; an unlisted pydantic type falls back",
        "to “is not valid / {label}填写有误”. A format is described in words, never as a",
        "regular expression.",
        "",
    ]
    lines += _type_rows()
    return "\n".join(lines) + "\n"

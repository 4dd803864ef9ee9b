"""A search text is matched as text, never as a LIKE pattern: ``%`` or ``_`` typed into a
prefix or substring filter must not widen it (``?number=%`` once listed every household).
Every SQL prefix, suffix and substring match in app/ is built with SQLAlchemy's
``autoescape=True``, and no raw ``like()`` is written at all; this guard reads the source, so
a filter added later is held to the same rule."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).parents[2] / "app"
MATCHES = {"startswith", "endswith", "contains", "istartswith", "iendswith", "icontains"}
RAW = {"like", "ilike", "notlike", "notilike"}


def _is_column(node: ast.expr) -> bool:
    """``col(Model.field)`` or ``Model.field``: a SQL expression, not a Python string."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "col"
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _autoescaped(call: ast.Call) -> bool:
    return any(
        k.arg == "autoescape" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def unescaped_matches(source: str) -> list[int]:
    """Lines of ``source`` that build a LIKE from user text without escaping it."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name in RAW or (
            name in MATCHES and _is_column(node.func.value) and not _autoescaped(node)
        ):
            lines.append(node.lineno)
    return lines


def test_every_sql_match_in_the_app_escapes_its_pattern() -> None:
    found = {
        f"{path.relative_to(APP.parent)}:{line}"
        for path in sorted(APP.rglob("*.py"))
        for line in unescaped_matches(path.read_text(encoding="utf-8"))
    }
    assert not found, f"LIKE built from unescaped text: {sorted(found)}"


def test_the_guard_sees_the_forms_it_forbids() -> None:
    assert unescaped_matches("col(Household.household_number).startswith(number)") == [1]
    assert unescaped_matches("Worker.full_name.contains(name, autoescape=False)") == [1]
    assert unescaped_matches("col(Region.name).like(name + '%')") == [1]
    assert unescaped_matches("col(Region.path).startswith(path, autoescape=True)") == []
    assert unescaped_matches("value.startswith('sqlite')") == []

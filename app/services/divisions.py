"""Administrative divisions from a file: a district's townships and villages by statistical
division code (统计用区划代码), read whole and checked before anything is written, then added
in one audited transaction. The format is docs/divisions.md; the bundled file is 潘集区's."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.models import Region, RegionLevel
from app.services import audit
from app.services.audit import Change

COLUMNS = ("code", "name", "level", "parent_code")
# How many digits of the 12-digit code a level keeps (the rest must be zeros): a district's
# code is its 6-digit GB/T 2260 code, a township's 9 digits, a village's all 12.
DIGITS = {
    RegionLevel.province: 6,
    RegionLevel.city: 6,
    RegionLevel.district: 6,
    RegionLevel.township: 9,
    RegionLevel.village: 12,
}
# How many leading digits a region shares with the region above it, by that region's level.
SHARED = {
    RegionLevel.province: 2,
    RegionLevel.city: 4,
    RegionLevel.district: 6,
    RegionLevel.township: 9,
}
NAME_MAX = 100
BUNDLED = "340406.csv"


class DivisionsFileError(ValueError):
    """The file cannot be loaded; ``problems`` says where and why, a line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    line: int


@dataclass(frozen=True)
class Divisions:
    source: str
    rows: list[Division]  # parents before their children

    @property
    def root(self) -> Division:
        return self.rows[0]


@dataclass(frozen=True)
class Loaded:
    added: list[Division]
    # Codes already in the database, left as they are; those whose name differs from the file.
    kept: int
    renamed_there: list[tuple[Division, str]]


def bundled_text() -> str:
    return (resources.files("app") / "data" / "divisions" / BUNDLED).read_text(encoding="utf-8")


def read_file(path: Path | None) -> Divisions:
    """The divisions of ``path`` (the bundled 潘集区 file when None), checked whole."""
    if path is None:
        return parse(bundled_text(), source=f"app/data/divisions/{BUNDLED}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DivisionsFileError(str(path), [f"cannot be read as UTF-8 text: {exc}"]) from exc
    return parse(text, source=str(path))


def _normalised(raw: str, level: RegionLevel) -> str | None:
    """The stored code of ``raw`` (12 digits, or already cut to the level's length)."""
    keep = DIGITS[level]
    if not raw.isascii() or not raw.isdigit():
        return None
    if len(raw) == 12 and raw[keep:] == "0" * (12 - keep):
        return raw[:keep]
    return raw if len(raw) == keep else None


def parse(text: str, *, source: str) -> Divisions:
    """Rows of ``code,name,level,parent_code`` after ``#`` comment lines and the header; every
    problem of the file is collected before it is refused."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    body = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not body:
        raise DivisionsFileError(source, ["the file has no header and no rows"])
    header_line, header = body[0]
    columns = [c.strip() for c in next(csv.reader([header]))]
    if columns != list(COLUMNS):
        raise DivisionsFileError(
            source, [f"line {header_line}: the header must be {','.join(COLUMNS)}"]
        )
    problems: list[str] = []
    rows: list[Division] = []
    seen: dict[str, Division] = {}
    for n, line in body[1:]:
        cells = [c.strip() for c in next(csv.reader(io.StringIO(line)))]
        if len(cells) != len(COLUMNS):
            problems.append(f"line {n}: {len(cells)} columns, not {len(COLUMNS)}")
            continue
        raw_code, name, raw_level, raw_parent = cells
        row_problems: list[str] = []
        level = RegionLevel(raw_level) if raw_level in RegionLevel.__members__ else None
        if level is None:
            row_problems.append(f"level {raw_level!r} is not one of {', '.join(RegionLevel)}")
        code = _normalised(raw_code, level) if level else None
        if level and code is None:
            row_problems.append(
                f"code {raw_code!r} is not a {DIGITS[level]}-digit {level.value} code "
                f"(or its 12-digit form ending in zeros)"
            )
        if not name or len(name) > NAME_MAX:
            row_problems.append(f"the name must have 1 to {NAME_MAX} characters")
        parent = seen.get(raw_parent) if raw_parent else None
        if raw_parent and parent is None:
            row_problems.append(f"parent {raw_parent!r} is not a row above this one")
        if not raw_parent and rows:
            row_problems.append("only the first row (the top region) has no parent")
        if not rows and level in (RegionLevel.township, RegionLevel.village):
            row_problems.append(f"the first row must be the district, not a {level.value}")
        if code and code in seen:
            row_problems.append(f"code {code} appears twice (first on line {seen[code].line})")
        if parent and level and code:
            row_problems += _fits(code, level, parent)
        if row_problems:
            problems += [f"line {n}: {p}" for p in row_problems]
            continue
        assert code is not None
        assert level is not None
        row = Division(code, name, level, parent.code if parent else None, n)
        rows.append(row)
        # A parent column may give the code in its 12-digit form or cut to its level.
        seen[code] = seen[code.ljust(12, "0")] = row
    if not rows and not problems:
        problems.append("the file has a header but no rows")
    if problems:
        raise DivisionsFileError(source, problems)
    return Divisions(source=source, rows=rows)


def _fits(code: str, level: RegionLevel, parent: Division) -> list[str]:
    problems = []
    order = list(RegionLevel)
    if order.index(level) <= order.index(parent.level):
        problems.append(f"a {level.value} cannot sit under a {parent.level.value}")
    elif not code.startswith(parent.code[: SHARED[parent.level]]):
        problems.append(f"code {code} does not begin with its parent's {parent.code}")
    return problems


async def load(session: AsyncSession, divisions: Divisions) -> Loaded:
    """Add the regions the database lacks, in one transaction with an audit entry each (a
    system action); regions already there are left as they are — an admin may have renamed
    one. A top region whose code exists under another parent is refused."""
    codes = [row.code for row in divisions.rows]
    existing = {
        region.code: region
        for region in (await session.scalars(select(Region).where(col(Region.code).in_(codes))))
    }
    paths = {code: region.path for code, region in existing.items()}
    added: list[Division] = []
    for row in divisions.rows:
        if row.code in existing:
            continue
        path = (paths[row.parent_code] if row.parent_code else "") + f"{row.code}/"
        paths[row.code] = path
        session.add(Region(code=row.code, name=row.name, level=row.level.value,
                           parent_code=row.parent_code, path=path))  # fmt: skip
        added.append(row)
    if added:
        await session.flush()
        await audit.record_many(
            session,
            actor=None,
            changes=[
                Change(
                    action="region.create",
                    resource_type="region",
                    resource_id=row.code,
                    region_code=row.code,
                    after={"name": row.name, "level": row.level.value},
                    note={"source": divisions.source},
                )
                for row in added
            ],
        )
        await commit(session)
    renamed = [
        (row, existing[row.code].name)
        for row in divisions.rows
        if row.code in existing and existing[row.code].name != row.name
    ]
    return Loaded(added=added, kept=len(existing), renamed_there=renamed)

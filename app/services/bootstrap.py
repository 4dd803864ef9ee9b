"""Day one of a fresh database: the district's divisions, the default subsidy policies and the
first admin (`jobpath init`), and the policies alone after `jobpath migrate`. Each step adds
only what is missing — an admin's later change is never overwritten — and says what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Region, RegionLevel, Role, SubsidyPolicy, User
from app.services import divisions as divisions_service
from app.services import password_policy, subsidy_policies, users
from app.services.divisions import Divisions, Loaded

# The regions a policy (and the first admin) may be scoped at: district or wider.
TOP_LEVELS = (RegionLevel.province.value, RegionLevel.city.value, RegionLevel.district.value)


@dataclass(frozen=True)
class PolicyInstall:
    region_code: str | None
    made: list[str]
    present: list[str]
    skipped_because: str | None = None

    def message(self) -> str:
        if self.skipped_because:
            return f"Default subsidy policies not installed: {self.skipped_because}"
        if self.made:
            return (f"Default subsidy policies installed for {self.region_code}: "
                    f"{', '.join(self.made)}.")  # fmt: skip
        return (f"Default subsidy policies: all {len(self.present)} are already there; "
                "left as they are.")  # fmt: skip


@dataclass(frozen=True)
class AdminOutcome:
    username: str
    created: bool
    note: str

    def message(self) -> str:
        return self.note


@dataclass(frozen=True)
class InitReport:
    regions: Loaded
    source: str
    policies: PolicyInstall
    admin: AdminOutcome

    @property
    def changed(self) -> bool:
        return bool(self.regions.added or self.policies.made or self.admin.created)

    def lines(self) -> list[str]:
        added = self.regions.added
        counts = {level: sum(r.level is level for r in added) for level in RegionLevel}
        described = ", ".join(f"{n} {level.value}" for level, n in counts.items() if n)
        lines = [
            f"Regions from {self.source}: {len(added)} added ({described}), "
            f"{self.regions.kept} already there and left as they are."
            if added else
            f"Regions from {self.source}: all {self.regions.kept} already there; none added."
        ]  # fmt: skip
        lines += [
            f"  {row.code}: the database calls it {name!r}, the file {row.name!r}; kept {name!r}."
            for row, name in self.regions.renamed_there
        ]
        lines += [self.policies.message(), self.admin.message()]
        if not self.changed:
            lines.append("Nothing changed: the database was already initialised.")
        return lines


async def install_policies(
    session: AsyncSession, *, region_code: str | None = None
) -> PolicyInstall:
    """The five defaults for ``region_code`` — by default the database's one top region, when
    it is a district (or a city or province). Without such a region nothing is installed, and
    the outcome says why (a fresh database: `jobpath init` installs them with the district)."""
    defaults = [d["code"] for d in subsidy_policies.DEFAULTS]
    present = list(
        await session.scalars(
            select(col(SubsidyPolicy.code)).where(col(SubsidyPolicy.code).in_(defaults))
        )
    )
    if region_code is None:
        tops = (
            await session.scalars(
                select(Region).where(col(Region.parent_code).is_(None)).order_by(col(Region.code))
            )
        ).all()
        if not tops:
            return PolicyInstall(None, [], present, "there is no region yet (`jobpath init` "
                                 "loads the district and installs them).")  # fmt: skip
        if len(tops) > 1:
            codes = ", ".join(t.code for t in tops)
            return PolicyInstall(None, [], present, f"there are several top regions ({codes}); "
                                 "an admin adds the policies of each through the API.")  # fmt: skip
        if tops[0].level not in TOP_LEVELS:
            return PolicyInstall(None, [], present, f"the top region {tops[0].code} is a "
                                 f"{tops[0].level}, not a district.")  # fmt: skip
        region_code = tops[0].code
    made = await subsidy_policies.install_defaults(session, region_code=region_code)
    return PolicyInstall(region_code, [p.code for p in made], present)


async def initialise(
    session: AsyncSession,
    *,
    divisions: Divisions,
    username: str,
    full_name: str,
    password: Callable[[], str],
) -> InitReport:
    """Load ``divisions``, install the default policies for its top region and create the
    first admin there. ``password`` is asked for only when the admin is to be created, and
    checked before anything is written."""
    root = divisions.root  # a district or wider: the file's first row (see divisions.parse)
    username = username.strip().lower()
    existing = await session.scalar(select(User).where(col(User.username) == username))
    secret = None
    if existing is None:
        secret = password()
        words = [username, full_name, Role.admin.value, root.code, root.name]
        await password_policy.ensure_strong(secret, texts=words, field="password")
    loaded = await divisions_service.load(session, divisions)
    policies = await install_policies(session, region_code=root.code)
    if existing is None:
        assert secret is not None
        user = await users.create(
            session,
            actor=None,
            username=username,
            full_name=full_name,
            role=Role.admin,
            password=secret,
            region_code=root.code,
        )
        note = f"Admin {user.username} created (id {user.id}) for {root.code}."
        admin = AdminOutcome(username, True, note)
    else:
        same = existing.role == Role.admin.value and existing.region_code == root.code
        admin = AdminOutcome(username, False, (
            f"Admin {existing.username} exists; left as it is." if same else
            f"User {existing.username} exists as {existing.role} of "
            f"{existing.region_code or 'no region'}; left as it is (choose another --admin)."
        ))  # fmt: skip
    return InitReport(loaded, divisions.source, policies, admin)

"""Subsidy policies as data: admins write them, everyone reads them. A claim keeps the
amounts it was approved with, whatever the policy says later."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import Conflict, NotFound, RangeReversed, Unprocessable
from app.models import Payee, PolicyRule, SubsidyPolicy, Unit
from app.pagination import Page, PageParams, paginate
from app.schemas.subsidy_policies import PolicyRead
from app.scope import Actor, path_in_scope
from app.services import audit, regions
from app.versioning import ensure_version


class PolicyNotFound(NotFound):
    code = "policy_not_found"
    title = "No such subsidy policy"


class OneOffUnits(Unprocessable):
    code = "one_off_units"
    title = "A one-off subsidy is paid once"


class DuplicatePolicyCode(Conflict):
    code = "duplicate_policy_code"
    title = "A policy with this code exists"


# The five defaults of the programme (SPEC section 2), amounts in fen; admins edit them.
DEFAULTS: list[dict[str, Any]] = [
    {"code": "on_job_training", "name": "以工代训补贴", "rule": PolicyRule.on_job_training,
     "payee": Payee.employer, "amount_fen": 50_000, "unit": Unit.per_month, "max_units": 6,
     "conditions": {}, "review_stages": ["township_check", "district_approval"]},
    {"code": "job_seeking_once", "name": "一次性求职创业补贴", "rule": PolicyRule.job_seeking_once,
     "payee": Payee.worker, "amount_fen": 20_000, "unit": Unit.once, "max_units": 1,
     "conditions": {"requires_organised_export": True,
                    "amounts_by_distance": {"in_province": 20_000, "out_of_province": 60_000}},
     "review_stages": ["district_approval"]},
    {"code": "skills_training", "name": "职业培训补贴", "rule": PolicyRule.skills_training,
     "payee": Payee.worker, "amount_fen": 80_000, "unit": Unit.once, "max_units": 1,
     "conditions": {}, "review_stages": ["district_approval"]},
    {"code": "assistance_post", "name": "公益性岗位补贴", "rule": PolicyRule.assistance_post,
     "payee": Payee.worker, "amount_fen": 60_000, "unit": Unit.per_month, "max_units": 12,
     "conditions": {}, "review_stages": ["township_check", "district_approval"]},
    {"code": "workshop_absorption", "name": "扶贫车间吸纳就业奖补",
     "rule": PolicyRule.workshop_absorption, "payee": Payee.employer, "amount_fen": 100_000,
     "unit": Unit.once, "max_units": 1,
     "conditions": {"min_employment_days": 180, "employer_kinds": ["workshop"]},
     "review_stages": ["township_check", "district_approval"]},
]  # fmt: skip


def read(policy: SubsidyPolicy) -> PolicyRead:
    return PolicyRead.model_validate(policy)


def snapshot(policy: SubsidyPolicy) -> dict[str, Any]:
    return read(policy).model_dump(mode="json", exclude={"created_at", "updated_at", "version"})


async def get(session: AsyncSession, *, policy_id: int) -> SubsidyPolicy:
    policy = await session.get(SubsidyPolicy, policy_id)
    if policy is None:
        raise PolicyNotFound(f"There is no subsidy policy {policy_id}.")
    return policy


async def by_code(session: AsyncSession, *, code: str) -> SubsidyPolicy:
    policy = await session.scalar(select(SubsidyPolicy).where(col(SubsidyPolicy.code) == code))
    if policy is None:
        raise PolicyNotFound(f"There is no subsidy policy {code!r}.")
    return policy


async def get_all(
    session: AsyncSession, *, params: PageParams, rule: PolicyRule | None, valid_on: date | None
) -> Page[SubsidyPolicy]:
    stmt = select(SubsidyPolicy)
    if rule is not None:
        stmt = stmt.where(col(SubsidyPolicy.rule) == rule.value)
    if valid_on is not None:
        stmt = stmt.where(
            col(SubsidyPolicy.valid_from) <= valid_on,
            (col(SubsidyPolicy.valid_to).is_(None)) | (col(SubsidyPolicy.valid_to) >= valid_on),
        )
    return await paginate(session, stmt, keys=[col(SubsidyPolicy.id)], params=params)


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data}
    if isinstance(data.get("conditions"), dict):
        data["conditions"] = {k: v for k, v in data["conditions"].items() if v is not None}
    if data.get("unit") == Unit.once and data.get("max_units", 1) != 1:
        raise OneOffUnits("A one-off subsidy has max_units 1.")
    return data


async def create(
    session: AsyncSession, *, actor: Actor | None, data: dict[str, Any]
) -> SubsidyPolicy:
    regions.ensure_level(actor, what="A subsidy policy")
    await regions.require_in_scope(session, actor=actor, code=data["region_code"])
    policy = SubsidyPolicy.model_validate(_checked(data))
    session.add(policy)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise DuplicatePolicyCode(f"A policy with code {data['code']!r} exists.") from exc
    await audit.record(
        session,
        actor=actor,
        action="policy.create",
        resource_type="subsidy_policy",
        resource_id=policy.id,
        region_code=policy.region_code,
        after=snapshot(policy),
    )
    await commit(session, result=policy)
    return policy


async def update(
    session: AsyncSession,
    *,
    actor: Actor,
    policy_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> SubsidyPolicy:
    """Edit a policy. Claims already approved keep their amounts; drafts and claims under
    review are recomputed when (re)submitted. Only an admin of the policy's region (district
    level or above) changes it."""
    regions.ensure_level(actor, what="A subsidy policy")
    policy = await get(session, policy_id=policy_id)
    region = await regions.get(session, code=policy.region_code)
    if not path_in_scope(actor, region.path):
        raise PolicyNotFound(f"There is no subsidy policy {policy_id} you may change.")
    ensure_version(expected=expected_version, current_version=policy.version, changes=changes,
                   current=read(policy).model_dump(mode="json"))  # fmt: skip
    changes = _checked({"unit": policy.unit, **changes})
    changes.pop("unit")
    merged_to = changes.get("valid_to", policy.valid_to)
    if merged_to is not None and merged_to < changes.get("valid_from", policy.valid_from):
        raise RangeReversed("valid_to must not be before valid_from.")
    before = snapshot(policy)
    for key, value in changes.items():
        setattr(policy, key, value)
    await audit.record(
        session,
        actor=actor,
        action="policy.update",
        resource_type="subsidy_policy",
        resource_id=policy.id,
        region_code=policy.region_code,
        before=before,
        after=snapshot(policy),
    )
    await commit(session, result=policy)
    return policy


# The defaults' first day of validity: 以工代训 began in 2020 and a county's claims of that
# year onwards find their policy; an admin narrows it (or sets valid_to) as data.
DEFAULTS_VALID_FROM = date(2020, 1, 1)


async def install_defaults(
    session: AsyncSession, *, region_code: str, valid_from: date = DEFAULTS_VALID_FROM
) -> list[SubsidyPolicy]:
    """The five default policies for a region, each audited as a system action; a code that
    exists (however an admin has changed it since) is left alone, so running it again, or
    from two processes at once, adds nothing twice."""
    made = []
    for default in DEFAULTS:
        exists = await session.scalar(
            select(col(SubsidyPolicy.id)).where(col(SubsidyPolicy.code) == default["code"])
        )
        if exists is None:
            data = {**default, "region_code": region_code, "valid_from": valid_from}
            try:
                made.append(await create(session, actor=None, data=data))
            except DuplicatePolicyCode:
                await session.rollback()  # another process installed it a moment ago
    return made

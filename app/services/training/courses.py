"""The course catalogue (district-wide: changed by district admins)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.errors import NotFound
from app.models import Skill, TrainingCourse
from app.pagination import Page, PageParams, paginate
from app.scope import Actor
from app.services import audit, regions
from app.versioning import ensure_version


class CourseNotFound(NotFound):
    code = "course_not_found"
    title = "No such course"


async def get_course(session: AsyncSession, *, course_id: int) -> TrainingCourse:
    course = await session.get(TrainingCourse, course_id)
    if course is None:
        raise CourseNotFound(f"There is no course {course_id}.")
    return course


async def list_courses(
    session: AsyncSession, *, params: PageParams, course_type: Skill | None
) -> Page[TrainingCourse]:
    stmt = select(TrainingCourse)
    if course_type is not None:
        stmt = stmt.where(col(TrainingCourse.type) == course_type.value)
    return await paginate(session, stmt, keys=[col(TrainingCourse.id)], params=params)


async def create_course(
    session: AsyncSession, *, actor: Actor, data: dict[str, Any]
) -> TrainingCourse:
    regions.ensure_level(actor, what="The course catalogue")
    course = TrainingCourse.model_validate(data)
    session.add(course)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="course.create",
        resource_type="course",
        resource_id=course.id,
        after=data,
    )
    await commit(session, result=course)
    return course


async def update_course(
    session: AsyncSession,
    *,
    actor: Actor,
    course_id: int,
    expected_version: int,
    changes: dict[str, Any],
) -> TrainingCourse:
    regions.ensure_level(actor, what="The course catalogue")
    course = await get_course(session, course_id=course_id)
    ensure_version(
        expected=expected_version,
        current_version=course.version,
        changes=changes,
        current={"name": course.name, "hours": course.hours},
    )
    before = {k: getattr(course, k) for k in changes}
    for key, value in changes.items():
        setattr(course, key, value)
    await audit.record(
        session,
        actor=actor,
        action="course.update",
        resource_type="course",
        resource_id=course.id,
        before=before,
        after=changes,
    )
    await commit(session, result=course)
    return course

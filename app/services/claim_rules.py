"""Eligibility and amount of a claim, checked against its evidence.

Each policy rule is a function of the policy's data (amounts, units, conditions) and the
evidence (the employment or enrolment behind the claim). It returns what is claimed — the
period, the units, the amount in fen and the period keys the database keeps unique — or
refuses with every reason that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.errors import Conflict, Unprocessable
from app.errors.extensions import ClaimIneligibleProblem, DuplicateClaimProblem
from app.models import (
    Employer,
    Employment,
    EmploymentKind,
    Enrolment,
    EnrolmentStatus,
    PolicyRule,
    SubsidyPolicy,
    Worker,
)
from app.models.vocab import WorkLocation
from app.services import date_bounds


class AlreadyClaimed(Conflict):
    code = "duplicate_claim"
    problem = DuplicateClaimProblem
    title = "This worker, policy and period are already claimed"


class ClaimIneligible(Unprocessable):
    code = "claim_ineligible"
    problem = ClaimIneligibleProblem
    title = "The claim does not meet the policy's conditions"


@dataclass(frozen=True)
class Evidence:
    worker: Worker
    worker_region_path: str
    policy_region_path: str
    employment: Employment | None = None
    employer: Employer | None = None
    enrolment: Enrolment | None = None
    period_start: date | None = None
    period_end: date | None = None
    # Period keys of the worker under this policy already taken by other claims.
    taken: frozenset[str] = frozenset()


class Reasons(list[str]):
    """Why a claim is not eligible: the list in English, ``zh`` the same in Chinese (a Chinese
    answer's ``reasons``)."""

    def __init__(self) -> None:
        super().__init__()
        self.zh: list[str] = []

    def add(self, english: str, chinese: str) -> None:
        self.append(english)
        self.zh.append(chinese)


_UNCONFIRMED = "用人单位尚未确认该就业"


@dataclass
class Assessment:
    period_start: date
    period_end: date
    units: int
    unit_amount_fen: int
    period_keys: list[str]
    reasons: Reasons = field(default_factory=lambda: Reasons())

    @property
    def amount_fen(self) -> int:
        return self.units * self.unit_amount_fen


def months(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s to ``end``'s."""
    out, current = [], start.replace(day=1)
    while current <= end:
        out.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return out


def month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _distance(home: str, work: str | None) -> int:
    """0 same township, 1 same county, 2 same province, 3 beyond (division-code prefixes)."""
    if work is None:
        return 0
    for level, digits in enumerate((9, 6, 2)):
        if home[:digits] == work[:digits]:
            return level
    return 3


def _common(policy: SubsidyPolicy, ev: Evidence, on: date, reasons: Reasons) -> None:
    if ev.worker.deleted_at is not None:
        reasons.add("the worker is no longer registered", "该劳动力已不在册")
    if not ev.worker_region_path.startswith(ev.policy_region_path):
        reasons.add("the worker lives outside the policy's region", "该劳动力不在政策适用地区内")
    if on < policy.valid_from or (policy.valid_to is not None and on > policy.valid_to):
        reasons.add(f"the policy is not in force on {on}", f"政策在 {on} 不在有效期内")


def _employment(ev: Evidence, reasons: Reasons, *kinds: EmploymentKind) -> Employment | None:
    job = ev.employment
    if job is None:
        reasons.add("no employment is given as evidence", "未提供就业记录作为依据")
        return None
    if job.worker_id != ev.worker.id:
        reasons.add("the employment is not the worker's", "该就业记录不属于该劳动力")
    if kinds and job.kind not in {k.value for k in kinds}:
        wanted = [k.value for k in kinds]
        reasons.add(f"the employment is {job.kind}, not {' or '.join(wanted)}",
                    f"就业类型为 {job.kind}，应为 {'、'.join(wanted)}")  # fmt: skip
    return job


def _monthly(policy: SubsidyPolicy, ev: Evidence, today: date, reasons: Reasons,
             *kinds: EmploymentKind, confirmed: bool) -> Assessment:  # fmt: skip
    job = _employment(ev, reasons, *kinds)
    if ev.period_start is None or ev.period_end is None:
        reasons.add("give the months claimed (period_start and period_end)", "请填写申请的起止月份")
        return Assessment(today, today, 1, policy.amount_fen, [], reasons)
    claimed = months(ev.period_start, ev.period_end)
    start, end = claimed[0], month_end(claimed[-1])
    # The months cannot precede the evidence nor end in the future: refused as dates (422
    # naming the field) before any other reason, as every route refuses a date out of history.
    date_bounds.claim_months(start, end, evidence_start=job.start_date if job else None,
                             evidence="the month the employment started")  # fmt: skip
    if job is not None:
        if confirmed and not job.confirmed_by_employer:
            reasons.add("the employer has not confirmed the employment", _UNCONFIRMED)
        if job.end_date is not None and end > job.end_date:
            reasons.add(f"the months claimed run past {job.end_date}, the last day worked",
                        f"申请的月份超过了最后工作日 {job.end_date}")  # fmt: skip
    keys = [m.strftime("%Y-%m") for m in claimed]
    total = len(ev.taken | set(keys))
    if total > policy.max_units:
        reasons.add(
            f"{len(claimed)} months would bring the total to {total}, over the policy's "
            f"maximum of {policy.max_units}",
            f"再申请 {len(claimed)} 个月将累计 {total} 个月，超过政策上限 {policy.max_units}",
        )
    _common(policy, ev, start, reasons)
    return Assessment(start, end, len(claimed), policy.amount_fen, keys, reasons)


def _on_job_training(policy: SubsidyPolicy, ev: Evidence, today: date) -> Assessment:
    reasons = Reasons()
    assessment = _monthly(policy, ev, today, reasons, EmploymentKind.job,
                          EmploymentKind.workshop, confirmed=True)  # fmt: skip
    _kind_allowed(policy, ev, reasons)
    return assessment


def _kind_allowed(policy: SubsidyPolicy, ev: Evidence, reasons: Reasons) -> None:
    kinds = policy.conditions.get("employer_kinds")
    if kinds and (ev.employer is None or ev.employer.kind not in kinds):
        reasons.add(
            f"the employer must be a {' or '.join(kinds)}", f"用人单位须为 {'、'.join(kinds)}"
        )


def _assistance_post(policy: SubsidyPolicy, ev: Evidence, today: date) -> Assessment:
    reasons = Reasons()
    return _monthly(policy, ev, today, reasons, EmploymentKind.assistance_post, confirmed=False)


def _workshop_absorption(policy: SubsidyPolicy, ev: Evidence, today: date) -> Assessment:
    reasons = Reasons()
    job = _employment(ev, reasons, EmploymentKind.workshop, EmploymentKind.job)
    _kind_allowed(policy, ev, reasons)
    needed = int(policy.conditions.get("min_employment_days", 180))
    start = job.start_date if job else today
    if job is not None:
        if not job.confirmed_by_employer:
            reasons.add("the employer has not confirmed the employment", _UNCONFIRMED)
        lasted = (min(job.end_date or today, today) - job.start_date).days
        if lasted < needed:
            reasons.add(f"the employment has lasted {lasted} days, not the {needed} required",
                        f"就业仅持续 {lasted} 天，未达到要求的 {needed} 天")  # fmt: skip
    _common(policy, ev, start + timedelta(days=needed), reasons)
    return Assessment(start, start + timedelta(days=needed), 1, policy.amount_fen, ["once"],
                      reasons)  # fmt: skip


def _job_seeking_once(policy: SubsidyPolicy, ev: Evidence, today: date) -> Assessment:
    reasons = Reasons()
    job = _employment(ev, reasons)
    amount, start = policy.amount_fen, today
    if job is not None:
        start = job.start_date
        if start > today:
            reasons.add(f"the job starts on {start}; nothing is paid before it begins",
                        f"工作于 {start} 开始，开始前不予发放")  # fmt: skip
        if policy.conditions.get("requires_organised_export", True) and not job.organised_export:
            reasons.add("the job was not reached by organised labour export",
                        "该工作不是通过有组织劳务输出实现的")  # fmt: skip
        distance = _distance(ev.worker.region_code, job.work_region_code)
        if distance < 2:
            reasons.add(
                "the job is not outside the worker's home county", "该工作不在户籍所在县以外"
            )
        by_distance = policy.conditions.get("amounts_by_distance") or {}
        amount = int(by_distance.get(list(WorkLocation)[distance].value, amount))
    _common(policy, ev, start, reasons)
    return Assessment(start, start, 1, amount, ["once"], reasons)


def _skills_training(policy: SubsidyPolicy, ev: Evidence, today: date) -> Assessment:
    reasons = Reasons()
    enrolment = ev.enrolment
    finished = today
    if enrolment is None:
        reasons.add("no enrolment is given as evidence", "未提供培训报名记录作为依据")
        return Assessment(today, today, 1, policy.amount_fen, [], reasons)
    if enrolment.worker_id != ev.worker.id:
        reasons.add("the enrolment is not the worker's", "该报名记录不属于该劳动力")
    if enrolment.status != EnrolmentStatus.completed.value or not enrolment.certificate_number:
        reasons.add("the enrolment is not completed with a certificate", "该培训尚未结业或没有证书")
    finished = enrolment.completed_on or today
    _common(policy, ev, finished, reasons)
    return Assessment(finished, finished, 1, policy.amount_fen, [f"enrolment:{enrolment.id}"],
                      reasons)  # fmt: skip


RULES = {
    PolicyRule.on_job_training: _on_job_training,
    PolicyRule.assistance_post: _assistance_post,
    PolicyRule.workshop_absorption: _workshop_absorption,
    PolicyRule.job_seeking_once: _job_seeking_once,
    PolicyRule.skills_training: _skills_training,
}


def assess(policy: SubsidyPolicy, evidence: Evidence, *, today: date) -> Assessment:
    """What may be claimed; :class:`ClaimIneligible` with every failed reason otherwise, and
    :class:`AlreadyClaimed` when the periods are claimed already."""
    assessment = RULES[PolicyRule(policy.rule)](policy, evidence, today)
    overlap = sorted(evidence.taken & set(assessment.period_keys))
    if overlap:
        raise AlreadyClaimed(
            f"Worker {evidence.worker.id} already has a claim under {policy.code} for "
            f"{', '.join(overlap)}.",
            periods=overlap,
        )
    if assessment.reasons:
        raise ClaimIneligible(
            "The claim is not eligible: " + "; ".join(assessment.reasons) + ".",
            reasons=list(assessment.reasons),
            zh={"reasons": assessment.reasons.zh},
        )
    return assessment

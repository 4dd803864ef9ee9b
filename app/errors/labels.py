"""The Chinese name of every field and parameter a request can carry, for field messages.

A message says "请填写姓名", not "请填写 full_name". A test checks every field of every request
schema and every parameter in the OpenAPI document has a label here.
"""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    "body": "请求内容", "Idempotency-Key": "防重复提交标记", "If-Match": "版本标记",
    "able_to_work": "是否有劳动能力", "action": "操作", "active": "是否有效",
    "actor_id": "操作人", "address": "地址", "amount_fen": "金额（分）",
    "amounts_by_distance": "按距离的金额", "assignment_id": "下达名单记录",
    "attachment_id": "附件", "bank_account": "银行账号",
    "by": "统计维度", "campaign": "专项活动", "capacity": "名额", "caption": "说明",
    "certificate_number": "证书编号", "checked_on": "回访日期", "checkpoint": "检查点",
    "claim_id": "补贴申请", "client_id": "客户端编号", "client_secret": "客户端密钥",
    "code": "代码", "completed_on": "结业日期", "conditions": "条件", "contact_name": "联系人",
    "contact_phone": "联系电话", "course_id": "培训课程", "course_type": "课程类型",
    "credit_code": "统一社会信用代码", "current_password": "当前密码", "cursor": "翻页标记",
    "date": "日期", "day": "日期", "description": "说明", "disability_friendly": "是否适合残疾人",
    "disability_level": "残疾等级", "dry_run": "仅试算", "due_before": "截止日期",
    "education": "文化程度", "employer_id": "用人单位", "employer_ids": "用人单位",
    "employer_kinds": "单位类型", "employment_id": "就业记录", "employment_status": "就业状态",
    "end_date": "结束日期", "end_reason": "结束原因", "enrolment_id": "报名记录",
    "event_id": "招聘活动", "file": "文件", "flagged": "是否标记", "follow_up_id": "回访记录",
    "format": "格式", "from_date": "开始日期", "full_name": "姓名", "grant_type": "授权方式",
    "hours": "学时", "household_id": "家庭户", "household_number": "户编号",
    "housing_offered": "是否提供住宿", "id_number": "身份证号", "id_numbers": "身份证号",
    "id_suffix": "身份证号后几位",
    "is_active": "是否启用", "job_type": "工种", "job_wish": "求职意向", "job_wishes": "求职意向",
    "kind": "类型", "latitude": "纬度", "level": "级别", "limit": "每页条数", "longitude": "经度",
    "max_amount_fen": "最高金额（分）", "max_units": "最多份数", "metric": "指标",
    "min_amount_fen": "最低金额（分）", "min_employment_days": "最少就业天数",
    "min_wage_fen": "最低工资（分）", "monthly_wage_fen": "月工资（分）", "name": "名称",
    "new_password": "新密码", "note": "备注", "notes": "备注", "notice_days": "公示天数",
    "number": "编号", "openings": "招聘人数", "organised_export": "是否有组织输出",
    "parent": "上级地区", "parent_code": "上级地区代码", "password": "密码", "payee": "收款人",
    "payment_reference": "付款凭证号", "period_end": "结束月份", "period_from": "起始期间",
    "period_start": "起始月份", "period_to": "结束期间", "phone": "手机号", "photo_id": "照片",
    "place": "地点",
    "as_of": "统计截止日期", "effective_on": "生效日期", "employment_kind": "就业形式",
    "entries": "条目", "identified_year": "识别年份", "lifted_year": "脱贫年份",
    "months": "跟踪月数", "registered_on": "建档立卡日期",
    "willing_and_able": "是否有劳动能力和意愿",
    "policy_code": "政策代码", "policy_id": "补贴政策", "poverty_causes": "致贫原因",
    "poverty_status": "脱贫状态", "provider": "培训机构", "q": "搜索词", "reason": "原因",
    "referral_id": "推荐记录", "refresh_token": "刷新令牌", "region": "地区",
    "region_code": "地区代码", "required_skills": "所需技能",
    "requires_organised_export": "是否要求有组织输出", "resource_id": "记录编号",
    "resource_type": "记录类型", "review_stages": "审核级次", "role": "角色", "rule": "规则",
    "scope": "范围", "session_id": "培训班", "severity": "严重程度", "source": "来源",
    "since": "起始时间",
    "skill": "技能", "skills": "技能", "start_date": "开始日期", "starts_from": "开班日期起",
    "starts_until": "开班日期止", "status": "状态", "status_changes": "状态变更",
    "still_employed": "是否仍在岗", "taken_at": "拍摄时间", "target_id": "目标任务",
    "title": "标题", "to_date": "结束日期",
    "township": "乡镇", "township_code": "乡镇代码", "training_wish": "培训意向",
    "training_wishes": "培训意向", "type": "类型", "unit": "单位", "until": "截止时间",
    "updated_since": "更新时间起", "user_id": "用户", "username": "用户名", "vacancy_id": "岗位",
    "vacancy_ids": "岗位", "valid_from": "生效日期", "valid_on": "有效日期", "valid_to": "失效日期",
    "value": "数值", "verified": "是否已审核", "visit_id": "走访记录", "visited_at": "走访时间",
    "wage_max_fen": "最高工资（分）", "wage_min_fen": "最低工资（分）", "within": "所属地区",
    "work_location_wish": "意向就业地点", "work_place": "工作地点",
    "work_region_code": "工作地区代码", "worker_id": "劳动力", "worker_ids": "劳动力",
    "year": "年度",
}  # fmt: skip

_CJK = re.compile(r"[\u4e00-\u9fff]")
UNKNOWN = "该字段"


def label(field: str) -> str:
    """The Chinese name of the field a dotted location ends in (``body.skills.0`` → 技能).

    A spreadsheet column already named in Chinese (``file.身份证号``) is its own label.
    """
    for part in reversed(field.split(".")):
        if part.isdigit():
            continue
        if part in LABELS:
            return LABELS[part]
        return part if _CJK.search(part) else UNKNOWN
    return LABELS["body"]

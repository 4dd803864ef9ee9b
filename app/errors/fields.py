"""Per-field messages (``errors[]``): one row per error ``type``, in both languages.

Pydantic's own types (``missing``, ``string_too_long`` …) and this service's
(``id_number_checksum``, ``region_scope`` …) are written here once; the Chinese message names
the field by its label (``app.errors.labels``). A regular expression never reaches the reader:
a wrong format is described in words (``FORMATS``). The offending value is never repeated (it
may be personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic_core.core_schema import ErrorType

from app.errors.labels import label
from app.errors.language import Language
from app.errors.shapes import FieldError

# type: (English message, Chinese message, meaning for the catalogue). ``{label}`` is the
# field's Chinese name; other names come from the error's context (``{max_length}`` …).
_DATE = ("must be a date, e.g. 2026-11-25", "{label}应为日期，例如 2026-11-25")
_TIME = (
    "must be a date and time, e.g. 2026-11-25T08:00:00Z",
    "{label}应为日期时间，例如 2026-11-25T08:00:00Z",
)
_INT = ("must be a whole number", "{label}应为整数")
_NUMBER = ("must be a number", "{label}应为数字")
_BOOL = ("must be true or false", "{label}应为 true（是）或 false（否）")
_LIST = ("must be a list", "{label}应为列表")
_OBJECT = ("must be an object", "{label}应为对象（键值对）")
_CHOICE = ("must be one of {expected}", "{label}只能是以下之一：{expected}")
_UNREADABLE = ("cannot be read", "请求内容无法读取")

TYPES: dict[str, tuple[str, str]] = {
    "missing": ("is required", "请填写{label}"),
    "extra_forbidden": ("is not a field of this request", "{label}不是可以提交的字段"),
    "string_type": ("must be text", "{label}应为文字"),
    "string_unicode": ("must be valid text", "{label}含有无法识别的字符"),
    "string_too_short": (
        "must have at least {min_length} characters",
        "{label}至少 {min_length} 个字符",
    ),
    "string_too_long": (
        "must have at most {max_length} characters",
        "{label}最多 {max_length} 个字符",
    ),
    "string_pattern_mismatch": (
        "has the wrong format; expected {expected}",
        "{label}格式不对，应为{expected}",
    ),
    "int_type": _INT, "int_parsing": _INT, "int_from_float": _INT,
    "int_parsing_size": ("is too large", "{label}数值过大"),
    "float_type": _NUMBER, "float_parsing": _NUMBER,
    "finite_number": ("must be a finite number", "{label}应为有效数字"),
    "greater_than_equal": ("must be at least {ge}", "{label}不能小于 {ge}"),
    "greater_than": ("must be greater than {gt}", "{label}必须大于 {gt}"),
    "less_than_equal": ("must be at most {le}", "{label}不能大于 {le}"),
    "less_than": ("must be less than {lt}", "{label}必须小于 {lt}"),
    "bool_type": _BOOL, "bool_parsing": _BOOL,
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _TIME, "datetime_parsing": _TIME, "datetime_from_date_parsing": _TIME,
    "datetime_object_invalid": _TIME,
    "timezone_aware": (
        "must name its time zone, e.g. 2026-11-25T08:00:00+08:00",
        "{label}须带时区，例如 2026-11-25T08:00:00+08:00",
    ),
    "enum": _CHOICE, "literal_error": _CHOICE,
    "list_type": _LIST, "tuple_type": _LIST, "set_type": _LIST, "frozen_set_type": _LIST,
    "iterable_type": _LIST,
    "too_short": ("must have at least {min_length} items", "{label}至少 {min_length} 项"),
    "too_long": ("must have at most {max_length} items", "{label}最多 {max_length} 项"),
    "set_item_not_hashable": ("holds an item that cannot be in a set", "{label}中有无效的项"),
    "dict_type": _OBJECT, "model_type": _OBJECT, "model_attributes_type": _OBJECT,
    "json_invalid": ("is not valid JSON", "请求内容不是有效的 JSON"),
    "json_type": ("must be JSON text", "请求内容应为 JSON 文本"),
    "body_unreadable": _UNREADABLE,
    "value_error": ("is not valid", "{label}的值不符合要求"),
    "assertion_error": ("is not valid", "{label}的值不符合要求"),
    "union_tag_invalid": ("has an unknown kind", "{label}的类型不对"),
    "union_tag_not_found": ("does not say its kind", "{label}缺少类型"),
    # This service's own checks.
    "control_characters": (
        "must not hold control characters",
        "{label}含有不可见的控制字符，请重新输入",
    ),
    "date_not_text": (
        "is written as ISO 8601 text, e.g. 2026-11-25 or 2026-11-25T08:00:00Z",
        "{label}应写成日期文字，例如 2026-11-25 或 2026-11-25T08:00:00Z",
    ),
    "not_utc": ("cannot be expressed in UTC", "{label}无法换算为协调世界时"),
    "id_number_length": ("a resident ID number has 18 characters", "身份证号应为 18 位"),
    "id_number_characters": (
        "the first 17 characters are digits and the last is a digit or X",
        "身份证号前 17 位应为数字，最后一位为数字或 X",
    ),
    "id_number_division": (
        "the division code (first six digits) is not valid",
        "身份证号前六位地区码无效",
    ),
    "id_number_birth_date": (
        "the birth date in the number is not a real date, in the future or before 1900",
        "身份证号中的出生日期无效（日期不存在、晚于今天或早于 1900 年）",
    ),
    "id_number_checksum": (
        "the check character does not match: a character was mistyped",
        "身份证号校验位不符，可能有一位输错",
    ),
    "credit_code_length": (
        "a unified social credit code has 18 characters",
        "统一社会信用代码应为 18 位",
    ),
    "credit_code_characters": (
        "holds characters a credit code never has (digits and capitals but I, O, S, V, Z)",
        "统一社会信用代码只含数字和大写字母（不含 I、O、S、V、Z）",
    ),
    "credit_code_checksum": (
        "the check character does not match: a character was mistyped",
        "统一社会信用代码校验位不符，可能有一位输错",
    ),
    "mobile_length": ("a mobile number has 11 digits", "手机号应为 11 位数字"),
    "mobile_digits": ("a mobile number is digits only", "手机号只能是数字"),
    "mobile_prefix": ("a mainland mobile number starts with 13 to 19", "手机号应以 13 至 19 开头"),
    "region": ("unknown region", "{label}不是已登记的地区"),
    "region_scope": ("not in your scope", "{label}不在您的管辖范围内"),
    "region_level": ("not of the level needed", "{label}的级别不符合要求"),
    "ref": ("unknown record", "{label}所指的记录不存在或不匹配"),
    "range_reversed": ("the end is before the start", "{label}：结束值早于（或小于）开始值"),
    "both_or_neither": ("give both values, or neither", "这两项须同时填写或同时不填"),
    "password_policy": (
        "is too short, too long or too easy to guess",
        "密码过短、过长或太容易被猜到，请换一个更长且不含个人信息的密码",
    ),
    "date_before_history": ("is earlier than the record's history", "{label}早于记录的历史"),
    "date_in_future": ("is later than allowed", "{label}晚于允许的日期"),
    "date_outside_session": ("is outside the training session", "{label}不在培训期间内"),
    "event_not_yet_held": ("is before the event is held", "{label}早于招聘活动举办日期"),
    "column": ("column missing", "缺少“{label}”列"),
    "filename": ("unusable name", "文件名无法使用，请改名后重新上传"),
}  # fmt: skip

FALLBACK = ("is not valid", "{label}填写有误")
_PYDANTIC = frozenset(get_args(ErrorType))  # pydantic's own types: worded above, not by it
_WRITTEN_HERE = frozenset({"value_error", "assertion_error"})  # a message our validator wrote

# Formats described in words, by the pattern the schema declares.
FORMATS: dict[str, tuple[str, str]] = {
    r"^\d{6,12}$": ("a division code of 6 to 12 digits", "6 至 12 位数字的行政区划代码"),
    r"^1[3-9]\d{9}$": ("an 11-digit mobile number starting with 13 to 19",
    "以 13 至 19 开头的 11 位手机号"),
    r"^[a-z0-9][a-z0-9._-]{2,63}$": (
        "3 to 64 lower-case letters, digits, dots, underscores or hyphens",
        "3 至 64 位小写字母、数字、点、下划线或连字符",
    ),
    r"^[0-9A-Za-z-]{4,30}$": ("4 to 30 letters, digits or hyphens", "4 至 30 位字母、数字或连字符"),
    r"^[a-z][a-z0-9_]*$": (
        "lower-case letters, digits and underscores, starting with a letter",
        "以小写字母开头的小写字母、数字或下划线",
    ),
    r"^[0-9A-Za-z-]+$": ("letters, digits and hyphens", "字母、数字或连字符"),
    r"^\d{12,30}$": ("12 to 30 digits", "12 至 30 位数字"),
    r"^[0-9]{3,17}[0-9Xx]$": ("the last 4 or more characters of an ID number",
    "身份证号的后 4 位或更多位"),
    r'^(W/)?"[0-9]{1,18}"$': ('the ETag you read, e.g. "3"', "读取记录时得到的版本标记"),
    r'^"[0-9]{1,18}"$': ('an ETag, e.g. "3"', "版本标记"),
    r"^[\x21-\x7e]+$": ("visible ASCII characters without spaces", "不含空格的可见英文字符"),
    r"^password$": ("the word password", "固定值 password"),
}  # fmt: skip
_ANY_FORMAT = ("the documented format", "文档所述的格式")


def _context(type_: str, ctx: Mapping[str, Any], zh: bool) -> dict[str, Any]:
    values = {k: v for k, v in ctx.items() if isinstance(v, int | float | str)}
    if type_ == "string_pattern_mismatch":
        values["expected"] = FORMATS.get(str(ctx.get("pattern")), _ANY_FORMAT)[zh]
    elif "expected" in values and zh:
        values["expected"] = str(values["expected"]).replace(" or ", "、").replace(", ", "、")
    return values


def message(
    type_: str, field: str, language: Language, ctx: Mapping[str, Any] | None = None
) -> str:
    """The message of a field error of ``type_`` at ``field``, in ``language``."""
    zh = language is Language.zh
    template = TYPES.get(type_, FALLBACK)[zh]
    values = _context(type_, ctx or {}, zh)
    try:
        return template.format(label=label(field), **values)
    except (KeyError, IndexError, ValueError):
        return FALLBACK[zh].format(label=label(field))


def from_pydantic(error: Mapping[str, Any], language: Language) -> FieldError:
    """A field error for one of pydantic's (or FastAPI's) validation errors."""
    loc = [str(p) for p in error.get("loc", ())]
    type_ = str(error.get("type", "value_error"))
    position = None
    if type_ == "json_invalid" and len(loc) > 1 and loc[-1].isdigit():
        position, loc = int(loc[-1]), loc[:-1]  # ("body", 38): the offset, not a field
    field = ".".join(loc) or "body"
    ctx = error.get("ctx") or {}
    text = message(type_, field, language, ctx)
    if language is Language.en and (type_ not in _PYDANTIC or type_ in _WRITTEN_HERE):
        # This service's own rule ("give both latitude and longitude, or neither") says it
        # best: the message is ours, and never holds the value.
        text = (
            str(error.get("msg", text))
            .removeprefix("Value error, ")
            .removeprefix("Assertion failed, ")
        )
    return FieldError(field=field, message=text, type=type_, position=position)


def localised(error: FieldError, language: Language) -> FieldError:
    """A field error raised by a service, in ``language``: the Chinese message by its type."""
    if language is Language.en:
        return error
    return error.model_copy(update={"message": message(error.type, error.field, language)})

"""The provincial registry's spreadsheet layout: reading CSV (UTF-8 or GB18030, as Chinese
Excel saves it) and XLSX files into rows keyed by JobPath's field names.

Headers are matched by any of their aliases (Chinese first), ignoring spaces and case;
values written in Chinese (未就业, 是, 小学 …) are translated to the API's enum values.
The layout is documented in ``docs/import-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import FieldError, Unprocessable
from app.services import registry_history, spreadsheets

# field → header aliases, in the column order of the registry's export.
COLUMNS: dict[str, tuple[str, ...]] = {
    "household_number": ("户编号", "户号", "家庭编号", "household_number"),
    "full_name": ("姓名", "full_name", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "id_number"),
    "phone": ("联系电话", "手机号", "手机号码", "phone"),
    "region_code": ("行政区划代码", "村代码", "区划代码", "region_code"),
    "poverty_status": ("贫困状态", "脱贫状态", "poverty_status"),
    "poverty_causes": ("致贫原因", "poverty_causes"),
    "disability_level": ("残疾等级", "disability_level"),
    "education": ("文化程度", "education"),
    "skills": ("技能", "掌握技能", "skills"),
    "training_wishes": ("培训意愿", "training_wishes"),
    "job_wishes": ("就业意愿工种", "意向工种", "job_wishes"),
    "work_location_wish": ("务工地点意愿", "意向务工地点", "work_location_wish"),
    "employment_status": ("就业状态", "employment_status"),
    "able_to_work": ("是否有劳动能力", "有无劳动能力", "able_to_work"),
    "notes": ("备注", "notes"),
    **registry_history.COLUMNS,  # an admin's file may carry history (docs/import-format.md)
}
REQUIRED = ("household_number", "full_name", "id_number", "region_code")
LIST_FIELDS = ("poverty_causes", "skills", "training_wishes", "job_wishes")

VALUES: dict[str, dict[str, str]] = {
    "poverty_status": {"未脱贫": "in_poverty", "贫困": "in_poverty", "已脱贫": "lifted",
                       "脱贫": "lifted", "监测户": "monitored", "监测": "monitored"},
    "poverty_causes": {"因病": "illness", "因残": "disability", "缺技术": "lack_of_skills",
                       "缺劳力": "lack_of_labour", "因学": "education_costs",
                       "因灾": "disaster", "其他": "other"},
    "disability_level": {"无": "none", "一级": "level_1", "二级": "level_2",
                         "三级": "level_3", "四级": "level_4"},
    "education": {"文盲或半文盲": "none", "文盲": "none", "小学": "primary",
                  "初中": "junior_secondary", "高中": "senior_secondary",
                  "中专": "vocational", "技校": "vocational", "大专": "college",
                  "本科及以上": "bachelor_or_above", "本科": "bachelor_or_above"},
    "skills": {"面点": "pastry", "育婴": "childcare", "家政": "housekeeping",
               "缝纫": "sewing", "厨师": "cooking", "养老护理": "elderly_care",
               "电工": "electrician", "焊工": "welding", "建筑": "construction",
               "种养殖": "agriculture", "电商": "e_commerce", "驾驶": "driving",
               "美容美发": "beauty", "手工": "handicraft", "其他": "other"},
    "job_wishes": {"制造业": "manufacturing", "服装": "garment", "食品加工": "food_processing",
                   "建筑": "construction", "餐饮": "catering", "家政": "housekeeping",
                   "育婴": "childcare", "养老护理": "elderly_care", "保洁": "cleaning",
                   "保安": "security", "物流": "logistics", "零售": "retail",
                   "种养殖": "agriculture", "电商": "e_commerce", "驾驶": "driving",
                   "公益性岗位": "public_welfare", "其他": "other"},
    "work_location_wish": {"乡镇内": "local", "本地": "local", "县内": "in_county",
                           "省内": "in_province", "省外": "out_of_province"},
    "employment_status": {"未就业": "unemployed", "已就业": "employed", "务工": "employed",
                          "自主创业": "self_employed", "公益性岗位": "assistance_post",
                          "培训中": "in_training", "无劳动能力": "unable_to_work"},
    "able_to_work": {"是": "true", "有": "true", "否": "false", "无": "false"},
}  # fmt: skip
VALUES["training_wishes"] = VALUES["skills"]
VALUES |= registry_history.VALUES
_SEPARATORS = ("、", "，", ",", ";", "；", "/", "|")


@dataclass(frozen=True)
class RawRow:
    number: int  # the row's line in the spreadsheet (the header is row 1)
    values: dict[str, str | list[str]]


class EmptyFile(Unprocessable):
    code = "empty_file"
    title = "The file is empty"


class MissingColumns(Unprocessable):
    code = "missing_columns"
    title = "The header lacks required columns"


def _key(header: object) -> str:
    return "".join(str(header or "").split()).lstrip("\ufeff").lower()


_ALIASES = {_key(alias): field for field, aliases in COLUMNS.items() for alias in aliases}


def _translate(field: str, raw: str) -> str | list[str]:
    table = VALUES.get(field, {})
    if field in LIST_FIELDS:
        parts = [raw]
        for sep in _SEPARATORS:
            parts = [p for part in parts for p in part.split(sep)]
        return [table.get(p.strip(), p.strip()) for p in parts if p.strip()]
    return table.get(raw, raw)


def read_rows(content: bytes, *, limits: spreadsheets.Limits) -> list[RawRow]:
    """The file's data rows keyed by field name; 415 for a non-spreadsheet, 413/422 for one
    past the limits (see :mod:`app.services.spreadsheets`), 422 for a header without the
    required columns. Blocks: call it off the event loop."""
    cells = spreadsheets.rows(content, limits=limits)
    header = next(cells, None)
    if header is None or not any(_text(cell) for cell in header):
        raise EmptyFile("The file is empty.")
    fields = [_ALIASES.get(_key(h)) for h in header]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise MissingColumns(
            "The header lacks required columns: " + ", ".join(COLUMNS[f][0] for f in missing),
            errors=[
                FieldError(field=f"file.{COLUMNS[f][0]}", message="column missing", type="column")
                for f in missing
            ],
        )
    rows: list[RawRow] = []
    for number, cells_of_row in enumerate(cells, start=2):
        values = {
            field: _translate(field, _text(cell))
            for field, cell in zip(fields, cells_of_row, strict=False)
            if field is not None and _text(cell)
        }
        if values:
            rows.append(RawRow(number=number, values=values))
    return rows


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()

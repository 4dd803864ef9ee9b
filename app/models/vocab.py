"""Vocabularies shared across resources: skills (which are also course types), job types and
where a labourer is willing to work."""

from __future__ import annotations

from enum import StrEnum


class Skill(StrEnum):
    """A trade a course teaches and a labourer can have; vacancies require them."""

    pastry = "pastry"
    childcare = "childcare"
    housekeeping = "housekeeping"
    sewing = "sewing"
    cooking = "cooking"
    elderly_care = "elderly_care"
    electrician = "electrician"
    welding = "welding"
    construction = "construction"
    agriculture = "agriculture"
    e_commerce = "e_commerce"
    driving = "driving"
    beauty = "beauty"
    handicraft = "handicraft"
    other = "other"


class JobType(StrEnum):
    manufacturing = "manufacturing"
    garment = "garment"
    food_processing = "food_processing"
    construction = "construction"
    catering = "catering"
    housekeeping = "housekeeping"
    childcare = "childcare"
    elderly_care = "elderly_care"
    cleaning = "cleaning"
    security = "security"
    logistics = "logistics"
    retail = "retail"
    agriculture = "agriculture"
    e_commerce = "e_commerce"
    driving = "driving"
    public_welfare = "public_welfare"
    other = "other"


class WorkLocation(StrEnum):
    """How far from home a labourer will work (ordered nearest first)."""

    local = "local"
    in_county = "in_county"
    in_province = "in_province"
    out_of_province = "out_of_province"

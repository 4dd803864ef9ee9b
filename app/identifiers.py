"""National identifiers and their check characters.

* Resident identity number (GB 11643-1999): 6-digit division code, 8-digit birth date,
  3-digit sequence (odd for men, even for women), and a mod-11 check character (0-9 or X).
* Unified social credit code (GB 32100-2015): 18 characters from a 31-character alphabet
  (no I, O, S, V, Z); the last is a mod-31 check character over the first 17.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class InvalidIdentifier(ValueError):
    """Why a number is not valid: ``kind`` is the field error's ``type`` (``id_number_checksum``
    …), so the reader gets advice for what is wrong, not a generic "invalid"."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    """The code upper-cased and checked; raises :class:`InvalidIdentifier` saying why."""
    code = value.strip().upper()
    if len(code) != 18:
        raise InvalidIdentifier(
            "a unified social credit code has 18 characters", kind="credit_code_length"
        )
    bad = sorted({c for c in code if c not in CREDIT_ALPHABET})
    if bad:
        raise InvalidIdentifier(
            f"characters not allowed in a credit code: {''.join(bad)}",
            kind="credit_code_characters",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier(
            "the check character does not match (GB 32100)", kind="credit_code_checksum"
        )
    return code


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)
_BIRTH = "id_number_birth_date"


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "male" or "female"


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def parse_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate an 18-character resident ID number and derive birth date and sex from it.

    A lower-case ``x`` is accepted and normalised. Raises :class:`InvalidIdentifier` saying why.
    """
    number = value.strip().upper()
    if len(number) != 18:
        raise InvalidIdentifier(
            f"a resident ID number has 18 characters, not {len(number)}", kind="id_number_length"
        )
    if not number[:17].isascii() or not number[:17].isdigit():
        raise InvalidIdentifier(
            "the first 17 characters must be digits", kind="id_number_characters"
        )
    if number[17] not in "0123456789X":
        raise InvalidIdentifier(
            "the last character must be a digit or X", kind="id_number_characters"
        )
    if number[0] == "0":
        raise InvalidIdentifier("the division code is not valid", kind="id_number_division")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdentifier(
            "the birth date in the number is not a real date", kind=_BIRTH
        ) from exc
    if born > (today or datetime.now(UTC).date()):
        raise InvalidIdentifier("the birth date in the number is in the future", kind=_BIRTH)
    if born < EARLIEST_BIRTH:
        raise InvalidIdentifier("the birth date in the number is before 1900", kind=_BIRTH)
    if resident_id_check_char(number[:17]) != number[17]:
        raise InvalidIdentifier(
            "the check character does not match (GB 11643)", kind="id_number_checksum"
        )
    return ResidentId(
        number=number, birth_date=born, sex="male" if int(number[16]) % 2 else "female"
    )


MOBILE_PATTERN = r"^1[3-9]\d{9}$"


def check_mobile(value: str) -> str:
    """An 11-digit mainland mobile number (13x … 19x); raises :class:`InvalidIdentifier`."""
    if not (value.isascii() and value.isdigit()):
        raise InvalidIdentifier("a mobile number is digits only", kind="mobile_digits")
    if len(value) != 11:
        raise InvalidIdentifier("a mobile number has 11 digits", kind="mobile_length")
    if value[0] != "1" or value[1] not in "3456789":
        raise InvalidIdentifier(
            "a mainland mobile number starts with 13 to 19", kind="mobile_prefix"
        )
    return value

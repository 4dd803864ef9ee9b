"""National identifiers: resident ID numbers (GB 11643) and unified social credit codes
(GB 32100), checked the one way every request, import and export uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.identifiers import (
    CREDIT_ALPHABET,
    InvalidIdentifier,
    credit_code_check_char,
    normalise_credit_code,
    parse_resident_id,
    resident_id_check_char,
)
from app.models.base import utcnow

TODAY = date(2026, 11, 25)
# The example printed in GB 11643-1999 itself: a woman of 朝阳区, Beijing, born 1949-12-31.
STANDARD_EXAMPLE = "11010519491231002X"
# A registered credit code (福建省, 2015) whose check character is known to be right.
KNOWN_CREDIT_CODE = "91350100M000100Y43"


def resident(area: str, born: str, seq: str) -> str:
    """A well-formed number: its 17 digits and the check character GB 11643 gives them."""
    body = f"{area}{born}{seq}"
    return body + resident_id_check_char(body)


def other_check_chars(number: str) -> list[str]:
    return [number[:17] + c for c in "0123456789X" if c != number[17]]


class TestResidentIdCheckCharacter:
    def test_the_standards_own_example_is_valid(self) -> None:
        parsed = parse_resident_id(STANDARD_EXAMPLE, today=TODAY)
        assert parsed.number == STANDARD_EXAMPLE
        assert parsed.birth_date == date(1949, 12, 31)
        assert parsed.sex == "female"

    @pytest.mark.parametrize(
        ("area", "born", "seq", "birth_date"),
        [
            ("340406", "19850312", "031", date(1985, 3, 12)),  # 潘集区
            ("340421", "20000229", "184", date(2000, 2, 29)),  # 凤台县, a leap day
            ("440305", "19680701", "553", date(1968, 7, 1)),  # 深圳 南山区
            ("652801", "19000101", "010", date(1900, 1, 1)),  # the earliest date allowed
        ],
    )
    def test_real_format_numbers_parse(
        self, area: str, born: str, seq: str, birth_date: date
    ) -> None:
        number = resident(area, born, seq)
        parsed = parse_resident_id(number, today=TODAY)
        assert parsed.number == number
        assert parsed.birth_date == birth_date

    def test_the_check_character_is_the_mod_11_one(self) -> None:
        assert resident_id_check_char(STANDARD_EXAMPLE[:17]) == "X"
        # Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 34040619850312003 → sum 228,
        # 228 mod 11 = 8 → "10X98765432"[8] = "4".
        assert resident_id_check_char("34040619850312003") == "4"

    @pytest.mark.parametrize("number", [STANDARD_EXAMPLE, resident("340406", "19850312", "031")])
    def test_any_other_check_character_is_refused(self, number: str) -> None:
        for wrong in other_check_chars(number):
            with pytest.raises(InvalidIdentifier, match="check character"):
                parse_resident_id(wrong, today=TODAY)

    def test_a_swapped_pair_of_digits_is_caught(self) -> None:
        number = resident("340406", "19850312", "031")
        swapped = number[:14] + number[15] + number[14] + number[16:]
        assert swapped != number
        with pytest.raises(InvalidIdentifier):
            parse_resident_id(swapped, today=TODAY)


class TestResidentIdBirthDate:
    @pytest.mark.parametrize("born", ["19990230", "19991301", "19990001", "19990132", "20230229"])
    def test_an_impossible_date_is_refused(self, born: str) -> None:
        with pytest.raises(InvalidIdentifier, match="not a real date"):
            parse_resident_id(resident("340406", born, "031"), today=TODAY)

    def test_a_date_in_the_future_is_refused(self) -> None:
        tomorrow = (TODAY + timedelta(days=1)).strftime("%Y%m%d")
        with pytest.raises(InvalidIdentifier, match="future"):
            parse_resident_id(resident("340406", tomorrow, "031"), today=TODAY)

    def test_someone_born_today_is_accepted(self) -> None:
        parsed = parse_resident_id(resident("340406", TODAY.strftime("%Y%m%d"), "031"), today=TODAY)
        assert parsed.birth_date == TODAY

    def test_the_future_is_measured_against_the_real_clock_by_default(self) -> None:
        tomorrow = (utcnow().date() + timedelta(days=1)).strftime("%Y%m%d")
        with pytest.raises(InvalidIdentifier, match="future"):
            parse_resident_id(resident("340406", tomorrow, "031"))

    @pytest.mark.parametrize("born", ["18991231", "18500101"])
    def test_a_date_before_1900_is_refused(self, born: str) -> None:
        with pytest.raises(InvalidIdentifier, match="before 1900"):
            parse_resident_id(resident("340406", born, "031"), today=TODAY)


class TestResidentIdShape:
    @pytest.mark.parametrize(
        "number",
        [
            STANDARD_EXAMPLE[:17],  # 17 characters
            STANDARD_EXAMPLE + "1",  # 19 characters
            "",
            "340406850312031",  # the old 15-digit number is not accepted
        ],
    )
    def test_a_number_that_is_not_18_characters_long_is_refused(self, number: str) -> None:
        with pytest.raises(InvalidIdentifier, match="18 characters"):
            parse_resident_id(number, today=TODAY)

    @pytest.mark.parametrize(
        "number",
        [
            "3404061985O312031X",  # a letter O for a zero
            "34040619850312A314",
            "X40406198503120314",
            "３４０４０６１９８５０３１２０３１",  # full-width digits are not ASCII digits
            "34040619850312-314",
        ],
    )
    def test_letters_or_symbols_inside_are_refused(self, number: str) -> None:
        with pytest.raises(InvalidIdentifier):
            parse_resident_id(number, today=TODAY)

    @pytest.mark.parametrize("last", ["Y", "A", "*", "-"])
    def test_only_a_digit_or_x_may_end_the_number(self, last: str) -> None:
        with pytest.raises(InvalidIdentifier, match="last character"):
            parse_resident_id(STANDARD_EXAMPLE[:17] + last, today=TODAY)

    def test_a_division_code_starting_with_zero_is_refused(self) -> None:
        with pytest.raises(InvalidIdentifier, match="division code"):
            parse_resident_id(resident("040406", "19850312", "031"), today=TODAY)

    def test_a_lowercase_x_is_accepted_and_normalised(self) -> None:
        parsed = parse_resident_id(STANDARD_EXAMPLE.lower(), today=TODAY)
        assert parsed.number == STANDARD_EXAMPLE

    def test_surrounding_spaces_are_trimmed(self) -> None:
        assert parse_resident_id(f"  {STANDARD_EXAMPLE}\t", today=TODAY).number == STANDARD_EXAMPLE


class TestResidentIdSex:
    @pytest.mark.parametrize(
        ("seq", "sex"),
        [("031", "male"), ("039", "male"), ("030", "female"), ("002", "female"), ("000", "female")],
    )
    def test_sex_is_read_from_the_17th_digit(self, seq: str, sex: str) -> None:
        assert parse_resident_id(resident("340406", "19850312", seq), today=TODAY).sex == sex


class TestResidentIdProperties:
    @given(
        area=st.integers(100_000, 999_999),
        born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
        seq=st.integers(0, 999),
    )
    def test_any_number_with_a_real_date_and_its_check_character_parses(
        self, area: int, born: date, seq: int
    ) -> None:
        number = resident(str(area), born.strftime("%Y%m%d"), f"{seq:03d}")
        parsed = parse_resident_id(number, today=TODAY)
        assert parsed.number == number
        assert parsed.birth_date == born
        assert parsed.sex == ("male" if seq % 2 else "female")
        assert parse_resident_id(number.lower(), today=TODAY) == parsed

    @given(
        area=st.integers(100_000, 999_999),
        born=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
        seq=st.integers(0, 999),
        wrong=st.sampled_from("0123456789X"),
    )
    def test_changing_the_check_character_always_fails(
        self, area: int, born: date, seq: int, wrong: str
    ) -> None:
        number = resident(str(area), born.strftime("%Y%m%d"), f"{seq:03d}")
        if wrong == number[17]:
            return
        with pytest.raises(InvalidIdentifier, match="check character"):
            parse_resident_id(number[:17] + wrong, today=TODAY)


def credit_code_with_check(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


class TestCreditCode:
    def test_a_known_registered_code_is_valid(self) -> None:
        assert normalise_credit_code(KNOWN_CREDIT_CODE) == KNOWN_CREDIT_CODE

    def test_codes_built_with_the_check_function_are_valid(self) -> None:
        for first17 in ("91340406MA2N12345", "93340406000000001", "12340400ABCDEFGHJ"):
            code = credit_code_with_check(first17)
            assert normalise_credit_code(code) == code

    def test_any_other_check_character_is_refused(self) -> None:
        for c in CREDIT_ALPHABET:
            if c == KNOWN_CREDIT_CODE[17]:
                continue
            with pytest.raises(InvalidIdentifier, match="check character"):
                normalise_credit_code(KNOWN_CREDIT_CODE[:17] + c)

    @pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
    def test_letters_the_standard_leaves_out_are_refused(self, letter: str) -> None:
        code = KNOWN_CREDIT_CODE[:8] + letter + KNOWN_CREDIT_CODE[9:]
        with pytest.raises(InvalidIdentifier, match=f"not allowed.*{letter}"):
            normalise_credit_code(code)

    @pytest.mark.parametrize(
        "code", [KNOWN_CREDIT_CODE[:17], KNOWN_CREDIT_CODE + "1", "", "91350100M00010"]
    )
    def test_a_code_that_is_not_18_characters_long_is_refused(self, code: str) -> None:
        with pytest.raises(InvalidIdentifier, match="18 characters"):
            normalise_credit_code(code)

    def test_lowercase_is_normalised_to_upper_case(self) -> None:
        assert normalise_credit_code(KNOWN_CREDIT_CODE.lower()) == KNOWN_CREDIT_CODE
        assert normalise_credit_code(f" {KNOWN_CREDIT_CODE.lower()} ") == KNOWN_CREDIT_CODE

    @given(first17=st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17))
    def test_exactly_one_check_character_fits_any_17_characters(self, first17: str) -> None:
        fitting = [c for c in CREDIT_ALPHABET if _valid_credit_code(first17 + c)]
        assert fitting == [credit_code_check_char(first17)]


def _valid_credit_code(code: str) -> bool:
    try:
        normalise_credit_code(code)
    except InvalidIdentifier:
        return False
    return True

from datetime import date

import pytest

from admin_app.services.validators import (
    InvalidInput,
    check_resident_id_agrees,
    normalise_code,
    parse_resident_id,
    password_problems,
    resident_check_digit,
    validate_credit_code,
    validate_phone,
    validate_postcode,
)
from admin_app.workflow.states import ApplicationState
from models.worker import mask_id_number


def with_check(body17: str) -> str:
    return body17 + resident_check_digit(body17)


def test_chongqing_id_born_before_1997_is_accepted():
    # stdnum's full validation rejects this (渝中区 code did not exist in 1970); we must not.
    number = with_check("50010319700615123")
    parsed = parse_resident_id(number)
    assert parsed.birth_date == date(1970, 6, 15)
    assert parsed.gender == "M"


def test_the_standards_own_example_and_the_check_digit_weights():
    # GB 11643-1999's example number; every one of the 17 digits takes part in the check.
    assert resident_check_digit("11010519491231002") == "X"
    assert parse_resident_id("11010519491231002X").gender == "F"
    assert resident_check_digit("11010519491231003") != "X"


def test_id_with_x_check_digit_lowercase_fullwidth_and_spaces():
    assert parse_resident_id("50010319800101106x").number == "50010319800101106X"
    assert parse_resident_id("５００１０３ １９８００１０１ １０６ｘ").number == "50010319800101106X"
    assert parse_resident_id("50010319800101106X").gender == "F"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请填写"),
        ("5001031970061512", "18位"),
        ("50010319700615123A", "前17位"),
        ("11\u06601\u0660519491231002X", "前17位"),  # Arabic-Indic zeros: digits to isdigit(), not to us
        ("99010319700615123" + "1", "省级"),
        (with_check("50010319701315123"), "出生日期"),
        (with_check("50010330000615123"), "出生日期"),
        (
            "500103197006151230" if with_check("50010319700615123")[-1] != "0" else "500103197006151231",
            "校验位",
        ),
    ],
)
def test_invalid_id_numbers_are_refused_with_a_reason(value, message):
    with pytest.raises(InvalidInput, match=message):
        parse_resident_id(value)


def test_birth_date_and_gender_must_agree_with_id():
    number = with_check("50010319700615123")
    assert check_resident_id_agrees(number, date(1970, 6, 15), "M").number == number
    with pytest.raises(InvalidInput, match="出生日期与身份证号码不一致"):
        check_resident_id_agrees(number, date(1970, 6, 16), "M")
    with pytest.raises(InvalidInput, match="性别与身份证号码不一致"):
        check_resident_id_agrees(number, date(1970, 6, 15), "F")


def test_credit_code_check_character():
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"
    assert validate_credit_code(" 91110000600037341l ") == "91110000600037341L"
    with pytest.raises(InvalidInput, match="校验位"):
        validate_credit_code("91110000600037341M")
    with pytest.raises(InvalidInput, match="18位"):
        validate_credit_code("9111000060003734")
    with pytest.raises(InvalidInput):
        validate_credit_code("")


def test_postcode_and_phone():
    assert validate_postcode("400010") == "400010"
    with pytest.raises(InvalidInput, match="6位"):
        validate_postcode("40001")
    assert validate_phone("13800000000") == "13800000000"
    assert validate_phone("023-88152255") == "023-88152255"
    with pytest.raises(InvalidInput):
        validate_phone("12345")


def test_password_policy():
    assert password_problems("abcdefg1") == []
    assert "密码长度至少8位" in password_problems("abc1")
    assert "密码须包含数字" in password_problems("abcdefgh")
    assert "密码须包含字母" in password_problems("12345678")


def test_mask_id_number():
    assert mask_id_number("22010619900101006X") == "220106********006X"
    assert mask_id_number(None) == ""


def test_normalise_code():
    assert normalise_code("  ５００ １０３ x") == "500103X"


def test_stored_names_cannot_leave_the_upload_directory(tmp_path):
    from flask import Flask

    from admin_app.services import uploads

    app = Flask(__name__)
    app.config["UPLOAD_DIR"] = str(tmp_path)
    with app.app_context():
        assert uploads.storage_path("materials/1/a.pdf").is_relative_to(tmp_path)
        for bad in ("../../etc/passwd", "/etc/passwd", "materials/../../x"):
            with pytest.raises(InvalidInput):
                uploads.storage_path(bad)
        assert uploads.display_name("..\\..\\中文 报表.pdf") == "中文 报表.pdf"
        assert uploads.display_name("../../x/登记表.pdf") == "登记表.pdf"


def test_new_applications_start_in_the_workflows_first_state():
    # The model's column default is the workflow's 待提交: nothing else sets the initial status.
    from models import Application

    assert Application.__table__.c.status.default.arg == ApplicationState.DRAFT

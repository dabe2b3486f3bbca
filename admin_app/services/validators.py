"""Validators for identity numbers, as plain functions. Each raises ``InvalidInput`` with a Chinese message.

Resident ID numbers (GB 11643) are checked here by hand: python-stdnum's full ``stdnum.cn.ric.validate``
demands that the address code existed in the holder's birth year, which rejects nearly every Chongqing
worker born before 1997 (SPEC §3). Note that ``stdnum.cn.ric.calc_check_digit`` expects the number *with*
its check position and drops the last character: given 17 digits it silently ignores the 17th. The check
digit is therefore computed here from the standard's weights.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from admin_app import limits
from admin_app.services import clock

# GB/T 2260 province-level prefixes (incl. 71 台湾, 81 香港, 82 澳门 used by residence permits).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def resident_check_digit(body17: str) -> str:
    """GB 11643 check character of the first 17 digits: weighted sum mod 11 → "10X98765432"."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError("17 digits expected")
    return ID_CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


class InvalidInput(ValueError):
    """A value a person typed is not acceptable; ``str(exc)`` is the Chinese message to show."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    gender: str  # 'M' or 'F'


def normalise_code(value: str | None) -> str:
    """Full-width to half-width, drop every kind of white space, upper-case (a lower-case x is accepted)."""
    text = unicodedata.normalize("NFKC", value or "")
    # Removing white space or upper-casing can leave marks that compose differently (ß´ → SS + ´ → SŚ):
    # repeat until nothing changes, so a normalised code normalises to itself.
    for _ in range(5):
        again = unicodedata.normalize("NFKC", re.sub(r"\s+", "", text).upper())
        if again == text:
            break
        text = again
    return text


def parse_resident_id(value: str | None, today: date | None = None) -> ResidentId:
    """Check an 18-character resident ID number and return it normalised with birth date and gender."""
    number = normalise_code(value)
    if not number:
        raise InvalidInput("请填写身份证号码")
    if len(number) != 18:
        raise InvalidInput(f"身份证号码应为18位，当前为{len(number)}位")
    # ASCII digits only: str.isdigit() also takes other scripts' digits (٠١٢…), which int() reads and NFKC keeps
    if not number.isascii() or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidInput("身份证号码前17位应为数字，最后一位为数字或X")
    if number[:2] not in PROVINCE_PREFIXES:
        raise InvalidInput("身份证号码的省级行政区划代码无效")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("身份证号码中的出生日期无效") from None
    today = today or clock.today()
    if birth.year < 1900 or birth > today:
        raise InvalidInput("身份证号码中的出生日期无效")
    if resident_check_digit(number[:17]) != number[17]:
        raise InvalidInput("身份证号码校验位错误，请核对")
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender)


def check_resident_id_agrees(
    value: str | None, birth_date: "date | TypedMonth | None", gender: str | None
) -> ResidentId:
    """Parse the ID number and require the entered birth date / gender to agree with it. A ``TypedMonth``
    (出生年月 as written) agrees when its month is the ID's (its day too, when a day was written)."""
    parsed = parse_resident_id(value)
    if isinstance(birth_date, TypedMonth):
        if not birth_date.agrees_with(parsed.birth_date):
            raise InvalidInput(birth_disagrees(parsed.birth_date, month_only=birth_date.day is None))
    elif birth_date and birth_date != parsed.birth_date:
        raise InvalidInput(birth_disagrees(parsed.birth_date, month_only=False))
    if gender and gender != parsed.gender:
        expected = "男" if parsed.gender == "M" else "女"
        raise InvalidInput(f"性别与身份证号码不一致（身份证为{expected}）")
    return parsed


# --- months (出生年月, 参加工作时间, 现等级取得时间, 毕业时间, 工作简历) ------------------------------------------
MONTH_FORMS = "1970-09、1970.9、1970年9月、1970/9 或完整日期 1970-09-15"
MONTH_FORMAT = f"年月格式不正确，可填 {MONTH_FORMS}"
MIN_YEAR, MAX_YEAR = 1900, 2100
# Year and month (a day optional) separated by - / . or written 1970年9月(15日); or 197009 / 19700915. A time
# after a full date (1970-09-15 00:00:00, as some systems export dates to CSV) is ignored.
_SEPARATED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?|[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)?"
)
_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})?")


@dataclass(frozen=True)
class TypedMonth:
    """A month as a person wrote it: ``month`` is its first day (how months are stored); ``day`` is the full
    date when one was written (1970-09-15), else None."""

    month: date
    day: date | None = None

    def agrees_with(self, exact: date) -> bool:
        """Whether an exact date (the birth date of an ID number) is what was written: the same day when a day
        was written, else the same month."""
        return (
            self.day == exact
            if self.day
            else (self.month.year, self.month.month) == (exact.year, exact.month)
        )


def read_month(value) -> TypedMonth | None:
    """Read a month as people write it — 1970-09, 1970.9, 1970年9月, 1970/9, 197009, or a full date
    (1970-09-15, 1970/9/15, 1970年9月15日, 19700915) or a ``date``/``datetime`` — full-width digits and spaces
    alike. None for an empty value; ``InvalidInput`` with a Chinese message naming the accepted forms."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return TypedMonth(value.replace(day=1), value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    match = _SEPARATED.fullmatch(text) or _DIGITS.fullmatch(text)
    if not match:
        raise InvalidInput(MONTH_FORMAT)
    year, month = int(match.group(1)), int(match.group(2))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"年份应在{MIN_YEAR}到{MAX_YEAR}之间")
    if not 1 <= month <= 12:
        raise InvalidInput("月份应在1到12之间")
    day = None
    if match.group(3):
        try:
            day = date(year, month, int(match.group(3)))
        except ValueError:
            raise InvalidInput(f"日期不存在（{year}年{month}月没有{int(match.group(3))}日）") from None
    return TypedMonth(date(year, month, 1), day)


def parse_month(value) -> date | None:
    """The month written in ``value`` as its first day (see ``read_month``); None when empty."""
    typed = read_month(value)
    return typed.month if typed else None


def birth_disagrees(exact: date, month_only: bool) -> str:
    if month_only:
        return f"出生年月与身份证号码不一致（身份证为{exact:%Y.%m}）"
    return f"出生日期与身份证号码不一致（身份证为{exact:%Y-%m-%d}）"


def validate_credit_code(value: str | None) -> str:
    """Check a 统一社会信用代码 (GB 32100) and return it normalised."""
    code = normalise_code(value)
    if not code:
        raise InvalidInput("请填写统一社会信用代码")
    if len(code) != 18:
        raise InvalidInput(f"统一社会信用代码应为18位，当前为{len(code)}位")
    try:
        return uscc.validate(code)
    except ValidationError as exc:
        if isinstance(exc, uscc.InvalidChecksum):
            raise InvalidInput("统一社会信用代码校验位错误，请核对") from None
        raise InvalidInput("统一社会信用代码格式不正确") from None


def validate_postcode(value: str | None) -> str:
    code = normalise_code(value)
    if not re.fullmatch(r"\d{6}", code):
        raise InvalidInput("邮编应为6位数字")
    return code


def validate_phone(value: str | None) -> str:
    """Mobile (11 digits starting 1) or landline (area code optional, dashes allowed)."""
    phone = normalise_code(value)
    if re.fullmatch(r"1\d{10}", phone) or re.fullmatch(r"(0\d{2,3}-?)?\d{7,8}(-\d{1,6})?", phone):
        return phone
    raise InvalidInput("联系电话格式不正确（手机号11位，或固定电话如023-88152255）")


def validate_mobile(value: str | None) -> str:
    """A mainland mobile number for SMS: 11 digits starting 1 (full-width digits and spaces normalised)."""
    mobile = normalise_code(value)
    if re.fullmatch(r"1[3-9]\d{9}", mobile):
        return mobile
    raise InvalidInput("手机号码格式不正确（11位数字，以1开头，如13812345678）")


EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def validate_email(value: str | None) -> str:
    """An e-mail address as mail servers take it (ASCII local part and domain, one @, a dot in the domain),
    at most ``limits.EMAIL`` characters; spaces around it are dropped."""
    email = unicodedata.normalize("NFKC", value or "").strip()
    if len(email) > limits.EMAIL:
        raise InvalidInput(f"电子邮箱不能超过{limits.EMAIL}个字符")
    if not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("电子邮箱格式不正确（如 name@example.com）")
    return email


def password_problems(password: str) -> list[str]:
    """Password policy: at least 8 characters with letters and digits. Returns the Chinese problems."""
    problems = []
    if len(password or "") < 8:
        problems.append("密码长度至少8位")
    if not re.search(r"[A-Za-z]", password or ""):
        problems.append("密码须包含字母")
    if not re.search(r"\d", password or ""):
        problems.append("密码须包含数字")
    return problems

"""The record kept at submission as JSON text and back (services/records.py), without a database."""

import json
from datetime import date, datetime

import pytest

from admin_app.services import records
from admin_app.services.records import Education, Job, Person, Record, Unit


def full_record() -> Record:
    person = Person(
        name="彭超",
        gender="M",
        id_number="50010319700615123X",
        birth_date=date(1970, 6, 15),
        ethnicity="土家族",
        work_start_date=date(1990, 9, 1),
        phone="13800001111",
        education="college",
        current_trade_id=7,
        current_trade="电工",
        current_grade=3,
        current_grade_date=date(2008, 1, 1),
        certificate_number="CQGK2007300012",
        certificate_trade_id=7,
        years_in_trade=30,
        rewards_punishments='2015年获市级先进个人；{"$d": "不是日期"}',
        discipline_until=date(2020, 5, 1),
        detained_or_probation=False,
        long_sick_leave_or_absence=True,
        holds_professional_title=False,
        other_exclusion=None,
        is_veteran=True,
        competition_rank=4,
        honour_title="national_technical_expert",
        educations=(
            Education("high_school", date(1988, 7, 1), "重庆市第七中学", None, None),
            Education("college", None, "重庆广播电视大学", "电气", "51234"),
        ),
        work_history=(
            Job(date(1990, 9, 1), date(2000, 12, 1), "某厂", "电工"),
            Job(date(2001, 1, 1), None, "某局", None),
        ),
        assessments={2018: "excellent", 2019: "pass", 2020: "basic"},
    )
    unit = Unit(
        "某局（机关）", "重庆市渝中区某路1号", "400010", "023-88152255", "市委某部", "district", "渝中区"
    )
    return Record(person=person, unit=unit, kept_at=datetime(2021, 7, 1, 2, 30, 15, 123456))


def test_dumps_then_loads_gives_back_an_equal_record():
    record = full_record()
    text = records.dumps(record)
    back = records.loads(text)
    assert back == record
    assert isinstance(back.person.birth_date, date) and isinstance(back.kept_at, datetime)
    assert all(isinstance(year, int) for year in back.person.assessments)  # JSON keys would be text
    assert isinstance(back.person.educations, tuple) and isinstance(back.person.educations[0], Education)
    assert back.person.educations[1].graduated_on is None and back.person.work_history[1].end_month is None
    assert records.dumps(back) == text  # stable text: the same record, the same bytes


def test_the_text_is_readable_json_with_chinese_as_written():
    text = records.dumps(full_record())
    data = json.loads(text)
    assert data["person"]["name"] == "彭超" and "彭超" in text  # not \\u escapes
    assert data["unit"]["name"] == "某局（机关）"
    assert data["person"]["birth_date"] == {"$d": "1970-06-15"}


def test_a_live_record_has_no_kept_time_and_round_trips():
    record = Record(person=full_record().person, unit=Unit("某局"))
    assert record.live
    back = records.loads(records.dumps(record))
    assert back == record and back.live


def test_loads_ignores_fields_it_does_not_know_and_defaults_missing_ones():
    data = json.loads(records.dumps(full_record()))
    data["person"]["retired_field"] = "x"
    data["unit"]["old_field"] = 1
    del data["person"]["honour_title"]
    back = records.loads(json.dumps(data))
    assert back.person.honour_title is None and back.person.name == "彭超"


def test_years_at_grade_and_seniority_count_as_the_worker_does():
    person = full_record().person
    assert person.years_at_grade(date(2020, 12, 31)) == 13  # 2008-01 … 2020-12: 156 months
    assert person.seniority_years(date(2020, 12, 31)) == 30
    assert person.grade_label == "三级（高级工）" and person.gender_label == "男"


@pytest.mark.parametrize("path", [(), ("Person",), ("person", "name'; --")])
def test_kept_text_takes_only_identifier_paths(path):
    with pytest.raises(ValueError):
        records.kept_text(None, *path)

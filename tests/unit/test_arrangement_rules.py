"""The arrangement's rules over plain values: deterministic seats, groups kept together, capacity and clashes."""

from datetime import date, time

import pytest

from admin_app.services.arrangement_rules import (
    Candidate,
    Room,
    Seat,
    Sitting,
    assign,
    categories_needing,
    clashes,
    kinds_needed,
    named,
)
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ExamCategory, ExamKind

BOTH, THEORY_ONLY = ExamCategory.BOTH, ExamCategory.THEORY


def people(trade, grade, n, start, category=BOTH):
    return [Candidate(start + i, trade, grade, category, f"T{start + i:05d}") for i in range(n)]


def rooms_of(*capacities, session=1):
    return [Room(session, 100 + i, capacity) for i, capacity in enumerate(capacities)]


def where(seats):
    return {seat.registration_id: (seat.room_id, seat.seat_number) for seat in seats}


def test_same_input_in_any_order_gives_the_same_seats():
    candidates = people("电工", 4, 7, 1) + people("钳工", 3, 5, 20) + people("电工", 3, 4, 40)
    rooms = rooms_of(6, 6, 6)
    first = assign(candidates, rooms)
    again = assign(list(reversed(candidates)), rooms)
    assert first == again
    assert len({(s.room_id, s.seat_number) for s in first}) == len(candidates)  # one seat each


def test_candidates_are_sorted_by_trade_grade_category_then_ticket():
    late = Candidate(1, "电工", 4, BOTH, "T9")
    early = Candidate(2, "电工", 4, BOTH, "T1")
    other_grade = Candidate(3, "电工", 3, BOTH, "T5")
    only_theory = Candidate(4, "电工", 4, THEORY_ONLY, "T0")
    seats = assign([late, early, other_grade, only_theory], rooms_of(10))
    assert [s.registration_id for s in seats] == [3, 2, 1, 4]
    assert [s.seat_number for s in seats] == [1, 2, 3, 4]


def test_a_group_that_would_be_split_starts_a_new_room_when_seats_allow():
    first = people("电工", 4, 3, 1)  # room A seats 1-3
    second = people("钳工", 4, 4, 10)  # 2 seats left in A: starts room B whole
    seats = where(assign(first + second, rooms_of(5, 5)))
    assert {seats[c.registration_id][0] for c in second} == {101}
    assert [seats[c.registration_id][1] for c in second] == [1, 2, 3, 4]


def test_a_group_is_split_rather_than_leaving_anyone_without_a_seat():
    first = people("01电工", 4, 3, 1)  # room A seats 1-3
    second = people("02钳工", 4, 5, 10)  # fits room B whole, but then A's 2 seats are lost and 1 is short
    third = people("03焊工", 4, 2, 20)
    seats = where(assign(first + second + third, rooms_of(5, 5)))
    assert len(seats) == 10
    assert [seats[c.registration_id] for c in second] == [(100, 4), (100, 5), (101, 1), (101, 2), (101, 3)]


def test_a_group_larger_than_a_room_fills_rooms_in_number_order():
    seats = assign(people("电工", 4, 7, 1), rooms_of(3, 3, 3))
    assert [(s.room_id, s.seat_number) for s in seats] == [
        (100, 1),
        (100, 2),
        (100, 3),
        (101, 1),
        (101, 2),
        (101, 3),
        (102, 1),
    ]


def test_sessions_are_filled_in_the_order_given():
    rooms = [Room(7, 1, 2), Room(8, 2, 2)]
    seats = assign(people("电工", 4, 3, 1), rooms)
    assert [s.session_id for s in seats] == [7, 7, 8]


def test_too_few_seats_is_refused_with_how_many_are_short():
    with pytest.raises(InvalidInput, match="还差 2 个座位"):
        assign(people("电工", 4, 7, 1), rooms_of(3, 2))
    with pytest.raises(InvalidInput, match="还差 1 个座位"):
        assign(people("电工", 4, 1, 1), [])


def test_nobody_to_seat_gives_no_seats():
    assert assign([], rooms_of(3)) == []


def test_sittings_overlap_only_on_the_same_day_with_intersecting_times():
    a = Sitting(1, date(2021, 9, 18), time(9), time(11))
    assert a.overlaps(Sitting(2, date(2021, 9, 18), time(10), time(12)))
    assert not a.overlaps(Sitting(3, date(2021, 9, 18), time(11), time(12)))  # back to back
    assert not a.overlaps(Sitting(4, date(2021, 9, 19), time(9), time(11)))


def test_clashes_names_the_candidates_whose_new_seat_overlaps_another_session():
    sittings = {
        1: Sitting(1, date(2021, 9, 18), time(9), time(11)),
        2: Sitting(2, date(2021, 9, 18), time(10), time(12)),
        3: Sitting(3, date(2021, 9, 18), time(14), time(16)),
    }
    seats = [Seat(10, 1, 100, 1), Seat(11, 1, 100, 2), Seat(12, 1, 100, 3)]
    assert clashes(seats, sittings, {10: [2], 11: [3]}) == [10]


def test_kinds_needed_follow_the_exam_category():
    assert kinds_needed(ExamCategory.BOTH) == {ExamKind.THEORY, ExamKind.PRACTICE}
    assert kinds_needed(ExamCategory.PRACTICE) == {ExamKind.PRACTICE}
    assert set(categories_needing(ExamKind.THEORY)) == {ExamCategory.BOTH, ExamCategory.THEORY}


def test_named_lists_five_and_counts_the_rest():
    assert named(["甲", "乙"]) == "甲、乙"
    assert named([str(i) for i in range(7)]) == "0、1、2、3、4等 7 人"

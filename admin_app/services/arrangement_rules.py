"""The arrangement's rules as plain functions over plain values (no database): who needs which kind of
session, the deterministic seat assignment, and time clashes. ``services.arrangement`` reads the rows,
calls these and writes the result.

Assignment (``assign``):

- candidates are sorted by (工种, 等级, 考试类别, 准考证号, id) — the 工种 by name (a trade has no code of its
  own; the name is unique), the 等级 as stored, so the same input gives the same seats, run after run;
- rooms are filled in the order given (sessions by date and start time, then id; rooms by number), seats
  1..capacity, one after the other;
- a group (same 工种, 等级 and 考试类别) is kept in one room where possible: when it does not fit in the seats
  left in the current room but would fit whole in the next one, and the seats left after leaving the current
  room's rest empty still hold every candidate not yet seated, it starts in the next room. Otherwise it fills
  the current room and goes on in the next (a group larger than a room is split in any case). No other
  search is made: simple, predictable, and no seat is wasted when seats are short.
"""

from dataclasses import dataclass
from datetime import date, time
from itertools import groupby

from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ExamCategory, ExamKind

# 考试类别 -> the kinds of session it sits
KINDS_NEEDED = {
    ExamCategory.BOTH: frozenset({ExamKind.THEORY, ExamKind.PRACTICE}),
    ExamCategory.THEORY: frozenset({ExamKind.THEORY}),
    ExamCategory.PRACTICE: frozenset({ExamKind.PRACTICE}),
}
NAMED = 5  # candidates named in a refusal; the rest are counted


def kinds_needed(category) -> frozenset:
    """The session kinds (理论 / 实作) a candidate of 考试类别 ``category`` sits (both if unknown)."""
    return KINDS_NEEDED.get(category, KINDS_NEEDED[ExamCategory.BOTH])


def categories_needing(kind) -> list[str]:
    """The 考试类别 whose candidates sit a session of ``kind``."""
    return [category for category, kinds in KINDS_NEEDED.items() if kind in kinds]


@dataclass(frozen=True)
class Candidate:
    registration_id: int
    trade: str
    grade: int
    category: str
    ticket_number: str | None = None

    @property
    def group(self) -> tuple:
        return (self.trade, self.grade, self.category)

    @property
    def order(self) -> tuple:
        return (*self.group, self.ticket_number or "", self.registration_id)


@dataclass(frozen=True)
class Room:
    session_id: int
    room_id: int
    capacity: int


@dataclass(frozen=True)
class Seat:
    registration_id: int
    session_id: int
    room_id: int
    seat_number: int


@dataclass(frozen=True)
class Sitting:
    """When a session sits: its date and start–end."""

    session_id: int
    exam_date: date
    start: time
    end: time

    def overlaps(self, other: "Sitting") -> bool:
        """Same date and the times intersect (one ending when the other starts does not clash)."""
        return self.exam_date == other.exam_date and self.start < other.end and other.start < self.end


def assign(candidates: list[Candidate], rooms: list[Room]) -> list[Seat]:
    """Seats for ``candidates`` in ``rooms`` (in the order given), by the rules in the module docstring.

    Raises InvalidInput (Chinese, with how many seats are short) when the rooms hold fewer seats than there
    are candidates; then nothing is assigned."""
    ordered = sorted(candidates, key=lambda c: c.order)
    total = sum(room.capacity for room in rooms)
    if len(ordered) > total:
        short = len(ordered) - total
        raise InvalidInput(
            f"座位不足：待编排考生 {len(ordered)} 人，编排中的考场共 {total} 个座位，还差 {short} 个座位"
        )
    seats: list[Seat] = []
    index, used = 0, 0  # the current room and its seats taken
    left = len(ordered)  # candidates not yet seated
    for _group, members in groupby(ordered, key=lambda c: c.group):
        members = list(members)
        if rooms and used and len(members) > rooms[index].capacity - used and index + 1 < len(rooms):
            fits_next = len(members) <= rooms[index + 1].capacity
            seats_after = sum(room.capacity for room in rooms[index + 1 :])
            if fits_next and seats_after >= left:
                index, used = index + 1, 0
        for candidate in members:
            while used >= rooms[index].capacity:
                index, used = index + 1, 0
            used += 1
            room = rooms[index]
            seats.append(Seat(candidate.registration_id, room.session_id, room.room_id, used))
        left -= len(members)
    return seats


def clashes(seats: list[Seat], sittings: dict, other_seats: dict) -> list[int]:
    """The registration ids whose new seat's session overlaps in time a session they already sit.

    ``sittings``: {session_id: Sitting} of every session named; ``other_seats``: {registration_id: [session
    ids of their seats in other sessions]}."""
    found = []
    for seat in seats:
        mine = sittings[seat.session_id]
        if any(mine.overlaps(sittings[other]) for other in other_seats.get(seat.registration_id, ())):
            found.append(seat.registration_id)
    return found


def named(names: list[str]) -> str:
    """ "张三、李四等 7 人" — at most ``NAMED`` names, the rest counted."""
    shown = "、".join(names[:NAMED])
    return f"{shown}等 {len(names)} 人" if len(names) > NAMED else shown

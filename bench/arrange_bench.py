"""自动编排 of 5,000 已报名 candidates (issue 17: target ≤ 2 s): the time of ``run_arrangement`` for one batch's
理论 sessions, median of ``--runs`` runs (each re-run replaces the draft seats, as the centre would re-run it).

The database (a SQLite file by default, or ``--database-url`` of a PostgreSQL database of your own) is built
from empty through the migrations: the test world (units, accounts, the 2021 batch), then ``--candidates``
registered candidates over 6 工种 × 3 等级 × 2 考试类别 (理论和实作, 仅理论: every one sits 理论), and 理论 sessions with rooms of 30 seats holding them
all. ``--reuse`` keeps a database built before.

Usage:  .venv/bin/python bench/arrange_bench.py [--candidates 5000] [--runs 5]
            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/t_arr_bench] [--reuse]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

TRADES = 6
ROOM_SEATS = 30


def build(candidates: int) -> None:
    """The world, ``candidates`` 已报名 candidates and enough 理论 seats, committed."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState, ExamCategory, ExamKind, RegistrationState
    from models import Trade
    from tests import factories
    from tests.arrangement_world import add_session

    world = factories.build_world()
    trades = db.session.scalars(sa.select(Trade).order_by(Trade.name).limit(TRADES)).all()
    categories = [ExamCategory.BOTH, ExamCategory.THEORY]  # every candidate sits 理论: all of them are seated
    for i in range(candidates):
        seq = 10_000 + i
        with db.session.no_autoflush:  # one ID number each (the factory's repeat after 2,700 people)
            worker = factories.add_worker(
                world.units["ABPY"[i % 4]], f"考生{i:05d}", seq, world.trade, world.batch
            )
            worker.id_number = factories.make_id_number("500103", date(1970 + i // 2700, 1, 1 + i % 27), i)
        db.session.flush()
        app = factories.add_application(
            world,
            worker,
            grade=(3, 4, 5)[i % 3],
            status=ApplicationState.APPROVED,
            applied_trade=trades[i % TRADES],
        )
        reg = factories.add_registration(app)
        reg.status, reg.exam_category = RegistrationState.REGISTERED, categories[(i // 3) % 2]
        reg.ticket_number = f"2021{reg.applied_grade}{seq:06d}"
        if i % 500 == 499:
            db.session.commit()
    rooms = candidates // ROOM_SEATS + 2
    half = rooms // 2 + 1
    add_session(world.batch, ExamKind.THEORY, (ROOM_SEATS,) * half, name="理论第一场", day=date(2021, 9, 18))
    add_session(world.batch, ExamKind.THEORY, (ROOM_SEATS,) * half, name="理论第二场", day=date(2021, 9, 19))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=f"sqlite:///{tempfile.gettempdir()}/arrange_bench.db")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        if not args.reuse:
            import sqlalchemy as sa

            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            started = time.perf_counter()
            build(args.candidates)
            print(f"built {args.candidates} candidates in {time.perf_counter() - started:.1f} s", flush=True)
        run(args.runs)


def run(runs: int) -> None:
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services import arrangement
    from admin_app.workflow.states import ExamKind
    from models import ExamBatch, User

    center = db.session.scalars(sa.select(User).where(User.username == "center")).one()
    batch = db.session.scalars(sa.select(ExamBatch).where(ExamBatch.year == 2021)).one()
    times = []
    for _ in range(runs):
        db.session.expire_all()
        started = time.perf_counter()
        counts = arrangement.run_arrangement(center, batch.id, ExamKind.THEORY)
        times.append(time.perf_counter() - started)
    load = os.getloadavg()
    dialect = db.engine.dialect.name
    print(
        f"{dialect}: seated {sum(counts.values())} in {len(counts)} sessions; runs "
        + ", ".join(f"{t:.2f}" for t in times)
        + f" s; median {statistics.median(times):.2f} s; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


if __name__ == "__main__":
    main()

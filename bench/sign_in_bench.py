"""考场签到表 of one full room (issue 17 point 2): the time of ``GET /room_documents/sign-in.pdf`` as the 市职鉴中心,
split into reading the room (``exam_documents.room_documents``: seats, the records kept at submission, every photo
decoded and shrunk) and the PDF itself (WeasyPrint), median of ``--runs`` runs.

The database (a SQLite file by default, or ``--database-url`` of a PostgreSQL database of your own) is built from
empty through the migrations: the test world, then one published 理论 session with one room of ``--seats`` seats,
each taken by a registered candidate whose 电子照片 is a camera picture (``--photo`` pixels, JPEG with noise, so it
does not compress to nothing). ``--reuse`` keeps a database built before.

Usage:  .venv/bin/python bench/sign_in_bench.py [--seats 120] [--runs 5] [--photo 2448x3264]
            [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/t_sign_bench] [--reuse]
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def camera_photo(size: tuple[int, int]) -> bytes:
    """A JPEG of ``size`` with a gradient and noise: as heavy to decode as a phone's picture."""
    from PIL import Image

    noise = Image.effect_noise(size, 60).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(out, "JPEG", quality=90)
    return out.getvalue()


def build(seats: int, photo_size: tuple[int, int]) -> int:
    """The world and one published session whose only room holds ``seats`` candidates; returns the room id."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState, ArrangementState, ExamKind, RegistrationState
    from models import Trade
    from tests import factories
    from tests.arrangement_world import add_seat, add_session

    world = factories.build_world()
    trade = db.session.scalars(sa.select(Trade).order_by(Trade.name).limit(1)).one()
    photo = factories.store_test_file(
        f"photos/bench/camera-{photo_size[0]}x{photo_size[1]}.jpg", camera_photo(photo_size)
    )
    session = add_session(
        world.batch, ExamKind.THEORY, (seats,), name="理论第一场", state=ArrangementState.PUBLISHED
    )
    for i in range(seats):
        seq = 20_000 + i
        with db.session.no_autoflush:
            worker = factories.add_worker(world.units["ABPY"[i % 4]], f"考生{i:04d}", seq, trade, world.batch)
            worker.id_number = factories.make_id_number("500103", date(1970 + i // 27, 1, 1 + i % 27), i)
        db.session.flush()
        app = factories.add_application(
            world, worker, grade=4, status=ApplicationState.APPROVED, applied_trade=trade
        )
        reg = factories.add_registration(app)
        reg.status, reg.ticket_number, reg.photo_stored = (
            RegistrationState.REGISTERED,
            f"20214{seq:06d}",
            photo,
        )
        db.session.flush()
        add_seat(session, reg, i + 1)
    db.session.commit()
    return session.rooms[0].id


def run(app, room_id: int, runs: int) -> None:
    from admin_app.extensions import db
    from admin_app.services import exam_documents
    from models import ExamRoom
    from tests.conftest import login

    with app.app_context():
        reads = []
        for _ in range(runs):
            db.session.expire_all()
            started = time.perf_counter()
            docs = exam_documents.room_documents(db.session.get(ExamRoom, room_id))
            reads.append(time.perf_counter() - started)
        rows = len(docs.rows)
        db.session.remove()
    client = app.test_client()
    assert login(client, "center").status_code == 302
    totals, sizes, pages = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(f"/room_documents/sign-in.pdf?id={room_id}")
        totals.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        sizes.append(len(response.data))
    import pypdfium2 as pdfium

    pages = len(pdfium.PdfDocument(response.data))
    load = os.getloadavg()
    print(
        f"{rows} rows, {pages} pages, {sizes[-1] / 1024:.0f} kB; "
        f"read the room: median {statistics.median(reads):.2f} s ("
        + ", ".join(f"{t:.2f}" for t in reads)
        + f"); whole request: median {statistics.median(totals):.2f} s ("
        + ", ".join(f"{t:.2f}" for t in totals)
        + f"); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seats", type=int, default=120)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--photo", default="2448x3264", help="the camera picture's size in pixels, WxH")
    parser.add_argument("--database-url", default=f"sqlite:///{tempfile.gettempdir()}/sign_in_bench.db")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by an earlier run")
    args = parser.parse_args()
    photo_size = tuple(int(n) for n in args.photo.lower().split("x"))

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.extensions import db
    from models import ExamRoom

    upload_dir = os.path.join(tempfile.gettempdir(), "sign_in_bench_uploads")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "bench",
            "UPLOAD_DIR": upload_dir,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        if not args.reuse:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            started = time.perf_counter()
            room_id = build(args.seats, photo_size)
            print(f"built a room of {args.seats} seats in {time.perf_counter() - started:.1f} s", flush=True)
        else:
            room_id = db.session.scalars(sa.select(ExamRoom.id).order_by(ExamRoom.id)).first()
    run(app, room_id, args.runs)


if __name__ == "__main__":
    main()

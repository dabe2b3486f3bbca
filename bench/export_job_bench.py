"""A 1,000,000-row export as a 下载中心 job through a real ``flask worker`` process (issue 19 point 2: "completes
within 1.25× of the floor with the worker ≤ 150 MB").

Each run, side by side (A/B, so that load changes hit both alike):
  floor  raw xlsxwriter constant_memory from a psycopg server-side cursor, the same rows and columns
         (``bench/excel_bench.py``'s export-floor, in its own process)
  job    市工考办 asks for 考试资格申请 of every batch (``/applications/export.xlsx?all_batches=1``, above
         EXPORT_JOB_ROWS: a job); a ``flask worker`` (started before the clock, idle) runs it. Measured: seconds
         from the request to the row saying 已完成 (polled every 0.1 s), and the peak RSS (VmHWM) of the work horse
         RQ forks for the job (its pid is on the job's row while it runs; sampled every 0.05 s) and of the worker.

Usage:  .venv/bin/python bench/export_job_bench.py [--db gk_a1m] [--runs 2]
The database is one made by ``bench/gen_data.py`` with at least 1,000,000 rows in the office's list
(``--scale 1.2``: 1,028,571 submitted applications). Needs the local PostgreSQL and Redis.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
QUEUE = f"gk-export-bench-{os.getpid()}"
UPLOADS = f"/tmp/gk-export-bench-{os.getpid()}"
SECRET = "export-job-bench"


def vm_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def private_and_pss_kb(pid: int) -> tuple[int, int]:
    """(memory of ``pid`` no other process shares — its own cost —, its proportional share) from smaps_rollup."""
    found = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, _sep, rest = line.partition(":")
                if name in ("Pss", "Private_Clean", "Private_Dirty"):
                    found[name] = int(rest.split()[0])
    except OSError:
        return 0, 0
    return found.get("Private_Clean", 0) + found.get("Private_Dirty", 0), found.get("Pss", 0)


class Sampler(threading.Thread):
    """The highest VmHWM seen of the work horse named on the job's row (its RSS: the pages it shares with the
    worker it was forked from included) and of the worker itself; the horse's highest private memory and PSS."""

    def __init__(self, worker_pid: int):
        super().__init__(daemon=True)
        self.worker_pid, self.horse_pid = worker_pid, None
        self.horse_kb = self.worker_kb = self.private_kb = self.pss_kb = 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            if self.horse_pid:
                self.horse_kb = max(self.horse_kb, vm_kb(self.horse_pid, "VmHWM") or 0)
                private, pss = private_and_pss_kb(self.horse_pid)
                self.private_kb, self.pss_kb = max(self.private_kb, private), max(self.pss_kb, pss)
            self.worker_kb = max(self.worker_kb, vm_kb(self.worker_pid, "VmHWM") or 0)
            self.stopped.wait(0.1)


def start_worker(database: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        DATABASE_URL=database,
        UPLOAD_DIR=UPLOADS,
        JOB_QUEUE=QUEUE,
        SECRET_KEY=SECRET,
        # its own temporary folder: a job's part file is named by its id, which other apps' jobs on this host share
        TMPDIR=f"{UPLOADS}/tmp",
    )
    os.makedirs(f"{UPLOADS}/tmp", exist_ok=True)
    flask = pathlib.Path(sys.executable).with_name("flask")
    return subprocess.Popen(
        [str(flask), "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(f"{UPLOADS}-worker.log", "a"),  # noqa: SIM115 - the worker's own log, for a failed run
        start_new_session=True,
    )


def job_run(app, client, worker: subprocess.Popen) -> dict:
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import JobState
    from models import Job

    sampler = Sampler(worker.pid)
    sampler.start()
    start = time.perf_counter()
    # 导出查询结果 is a form (POST); this app runs without CSRF, like its login
    response = client.post("/applications/export.xlsx", query_string={"all_batches": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/"), (
        response.status
    )
    submitted = time.perf_counter() - start
    with app.app_context():
        job_id = db.session.scalar(sa.select(sa.func.max(Job.id)))
        while True:
            db.session.rollback()
            state, where = db.session.execute(sa.select(Job.state, Job.worker).where(Job.id == job_id)).one()
            if where and not sampler.horse_pid:
                sampler.horse_pid = int(where.rpartition(":")[2])
            if state in (JobState.FINISHED, JobState.FAILED):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        sampler.stopped.set()
        sampler.join()
        job = db.session.get(Job, job_id)
        assert job.state == JobState.FINISHED, job.error
        result = {
            "variant": "job",
            "seconds": round(elapsed, 2),
            "submit_s": round(submitted, 3),
            "rows": job.rows_done,
            "size": job.size,
            "horse_peak_rss_mb": round(sampler.horse_kb / 1024, 1),
            "horse_peak_private_mb": round(sampler.private_kb / 1024, 1),
            "horse_peak_pss_mb": round(sampler.pss_kb / 1024, 1),
            "worker_peak_rss_mb": round(sampler.worker_kb / 1024, 1),
        }
        db.session.rollback()
    return result


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_a1m")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    database = f"{PG}/{args.db}"
    os.makedirs(UPLOADS, exist_ok=True)

    import excel_bench

    from admin_app import create_app

    excel_bench.DB = args.db
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "UPLOAD_DIR": UPLOADS,
            "JOB_QUEUE": QUEUE,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": "Passw0rd2021"})
    worker = start_worker(database)
    time.sleep(3)  # the worker is up and idle before the clock starts
    try:
        for run in range(1, args.runs + 1):
            for name in ("floor", "job"):
                before = load_average()
                if name == "floor":
                    result = excel_bench.run_variant("export-floor", 0)
                else:
                    result = job_run(app, client, worker)
                result.update({"run": run, "load_before": before, "load_after": load_average()})
                if name == "floor":
                    floor = result.get("seconds")
                elif floor:
                    result["x_floor"] = round(result["seconds"] / floor, 2)
                print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)


if __name__ == "__main__":
    main()

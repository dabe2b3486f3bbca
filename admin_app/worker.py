"""The background worker: ``flask worker`` runs an RQ worker on the app's queue with the app's context, so a
job sees the same configuration, database and storage as the web servers. ``flask jobs-cleanup`` runs the
upkeep once (from cron, or by hand).

Why RQ (docs/architecture.md): the jobs are few, long and Python-only; RQ needs nothing but the Redis the
servers already share, forks a fresh work horse per job (memory returns to the system after a 1 M-row export;
a horse that dies is noticed by its parent) and its worker loop has the periodic hook the upkeep uses.
"""

import os

import click
from flask import current_app
from flask.cli import with_appcontext

from admin_app import reminder_commands
from admin_app.services import job_upkeep, jobs


def worker_class():
    from rq import Worker

    class UpkeepWorker(Worker):
        """RQ's worker, with the 下载中心 upkeep at start, after every job and on RQ's maintenance beat."""

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            job_upkeep.upkeep()
            reminder_commands.beat()  # the day's reminders (once), then the due e-mails and SMS

        def execute_job(self, job, queue):
            try:
                return super().execute_job(job, queue)
            finally:
                job_upkeep.upkeep()  # a horse that died left its job 进行中: failed now, not at the next beat

    return UpkeepWorker


@click.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务后退出")
@with_appcontext
def worker_command(burst):
    """后台任务进程（下载中心的导出任务）。"""
    jobs.WORKER_PID = os.getpid()
    worker = worker_class()(
        [jobs.queue()],
        connection=jobs.redis_connection(),
        maintenance_interval=current_app.config["JOB_MAINTENANCE_SECONDS"],
    )
    worker.work(burst=burst, with_scheduler=False, logging_level="INFO")


@click.command("jobs-cleanup")
@with_appcontext
def jobs_cleanup_command():
    """下载中心：把进程已停止的任务标为失败，删除过期文件。"""
    failed, expired = job_upkeep.upkeep()
    click.echo(f"标为失败 {failed} 个任务，清理过期文件 {expired} 个")


def init_app(app) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(jobs_cleanup_command)
    reminder_commands.init_app(app)

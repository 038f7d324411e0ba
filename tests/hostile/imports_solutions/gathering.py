"""HOSTILE: copies the reference solution instead of writing one."""
import sys

sys.path[:0] = [".", "..", "/work/main"]
from solutions.gathering import *  # noqa: F403,E402

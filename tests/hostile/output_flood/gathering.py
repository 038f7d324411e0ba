"""HOSTILE: floods its output at import (64 MiB to file descriptor 1)."""
import os

block = b"x" * (1 << 20)
for _ in range(64):
    os.write(1, block)

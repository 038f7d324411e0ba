"""HOSTILE: runs the reference solution, found on disk, instead of writing one."""
import pathlib

for root in (pathlib.Path.cwd(), *pathlib.Path.cwd().parents, pathlib.Path("/work/main")):
    candidate = root / "solutions" / "gathering.py"
    if candidate.is_file():
        exec(candidate.read_text())
        break

"""The curriculum manifest (``curriculum.toml``), loaded and checked.

A bad entry is refused with a message that names the entry and says what to fix.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ._errors import ManifestError

MANIFEST = Path(__file__).with_name("curriculum.toml")
FORMAT_VERSION = 1  # the layout of curriculum.toml this grader reads
DEFAULT_TIME_LIMIT = 6.0




@dataclass(frozen=True)
class Exercise:
    slug: str
    title: str
    points: int
    docs: str
    hints: tuple[str, ...]
    time_limit: float = DEFAULT_TIME_LIMIT


_REQUIRED = {"slug": str, "title": str, "points": int, "docs": str, "hints": list}
_OPTIONAL = {"time_limit": (int, float)}


def _check(entry: object, position: int, path: Path) -> Exercise:
    where = f"{path.name}, exercise #{position}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a table of fields, got {type(entry).__name__}")
    name = entry.get("slug", "?")
    where = f"{where} ({name})"
    unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ManifestError(f"{where}: unknown field(s) {sorted(unknown)}; "
                            f"allowed: {sorted([*_REQUIRED, *_OPTIONAL])}")
    for field, kind in _REQUIRED.items():
        if field not in entry:
            raise ManifestError(f"{where}: missing field '{field}'")
        if not isinstance(entry[field], kind) or isinstance(entry[field], bool):
            raise ManifestError(f"{where}: '{field}' must be {kind.__name__}, "
                                f"got {entry[field]!r}")
    if not entry["slug"].isidentifier() or entry["slug"] != entry["slug"].lower():
        raise ManifestError(f"{where}: slug must be a lower-case Python module name, "
                            f"got {entry['slug']!r}")
    if entry["points"] <= 0:
        raise ManifestError(f"{where}: points must be a positive whole number")
    hints = entry["hints"]
    if len(hints) < 2 or not all(isinstance(h, str) and h.strip() for h in hints):
        raise ManifestError(f"{where}: give at least two hints, each a non-empty string, "
                            "from gentle to telling")
    if not entry["docs"].startswith("https://"):
        raise ManifestError(f"{where}: docs must be an https:// link to the lesson's reference")
    limit = entry.get("time_limit", DEFAULT_TIME_LIMIT)
    if not isinstance(limit, (int, float)) or isinstance(limit, bool) or not 0 < limit <= 300:
        raise ManifestError(f"{where}: time_limit must be seconds between 0 and 300, got {limit!r}")
    return Exercise(entry["slug"], entry["title"], entry["points"], entry["docs"],
                    tuple(hints), float(limit))


def load(path: Path = MANIFEST) -> list[Exercise]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path.name} is not valid TOML: {exc}") from None
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ManifestError(f"{path.name}: format_version is {version!r}; this grader reads "
                            f"format_version = {FORMAT_VERSION} (set it at the top of the file, "
                            "or use the aiograde that wrote it)")
    unknown = set(data) - {"format_version", "exercise"}
    if unknown:
        raise ManifestError(f"{path.name}: unknown top-level key(s) {sorted(unknown)}")
    entries = data.get("exercise")
    if not isinstance(entries, list) or not entries:
        raise ManifestError(f"{path.name}: no [[exercise]] entries found")
    exercises = [_check(entry, i, path) for i, entry in enumerate(entries, 1)]
    seen: set[str] = set()
    for ex in exercises:
        if ex.slug in seen:
            raise ManifestError(f"{path.name}: slug '{ex.slug}' appears twice")
        seen.add(ex.slug)
    return exercises

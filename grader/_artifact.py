"""Reports that come from somewhere we do not trust: a CI run of a student's pull request.

Whatever that run uploads was written by code the pull request controls, so the artifact
is data to validate before anything reads it: its size, its file names (plain names we
expect, nothing with a path), the JSON itself (no duplicate keys, no NaN) against the
report's schema made strict (no field we do not know, except those the report model is
gaining, see :data:`EXTENSIONS`), scores that add up, and exercises of this course. A
claim the run makes about its pull request is only ever compared with what GitHub says.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import _manifest
from ._errors import ReportError
from ._report import Report

MAX_REPORT_BYTES = 1024 * 1024  # a full report of every exercise is ~100 KB
MAX_ARTIFACT_BYTES = 2 * MAX_REPORT_BYTES  # the zip as downloaded
REPORT_NAME = "report.json"
CLAIM_NAME = "pull-request.json"  # what the run says it was for: {"number", "head_sha"}
ARTIFACT_FILES = frozenset({REPORT_NAME, CLAIM_NAME})
MAX_CLAIM_BYTES = 1024
_SCHEMA = Path(__file__).with_name("report.schema.json")
_BARE_FILE = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$"  # a file name, never a path
_WHERE = {"type": ["object", "null"], "required": ["file", "line"],
          "properties": {"file": {"type": "string", "pattern": _BARE_FILE},
                         "line": {"type": ["integer", "null"], "minimum": 0}}}
# Per-test fields the report model is gaining (the lead's interfaces): accepted, typed.
EXTENSIONS: dict[str, Any] = {
    "reason": {"enum": ["", "wrong", "not-implemented", "blocking", "busy-loop", "leak",
                        "timing", "time-limit", "crash", "import", "missing", "tampering",
                        "grader-fault", "caused-by"]},
    "where": _WHERE,
    "caused_by": {"type": ["string", "null"], "maxLength": 200},
    "hints": {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 2000}},
    "timeline": {"type": ["array", "null"], "maxItems": 500, "items": {
        "type": "object", "required": ["kind", "name", "start", "end"],
        "properties": {"kind": {"enum": ["task", "call", "blocked", "stall"]},
                       "name": {"type": "string", "maxLength": 200},
                       "start": {"type": "number", "minimum": 0},
                       "end": {"type": ["number", "null"], "minimum": 0},
                       "where": _WHERE}}},
}


@dataclass(frozen=True)
class Claim:
    """What an untrusted run says it graded; checked against GitHub, never used as such."""

    number: int | None
    head_sha: str | None


def _strict(schema: Any) -> Any:
    """``schema`` with every object closed (``additionalProperties: false``)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def strict_schema() -> dict[str, Any]:
    schema = copy.deepcopy(json.loads(_SCHEMA.read_text(encoding="utf-8")))
    test = schema["$defs"]["test"]["properties"]
    for name, spec in EXTENSIONS.items():
        test.setdefault(name, spec)  # the schema's own definition wins once it has one
    for finding in (schema["$defs"]["finding"]["properties"],):
        finding["file"] = {"type": "string", "pattern": _BARE_FILE}
    schema["properties"]["exercises"]["maxItems"] = 100
    schema["$defs"]["exercise"]["properties"]["tests"]["maxItems"] = 1000
    return dict(_strict(schema))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ReportError(f"the report has the key {key!r} twice; refusing it")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ReportError(f"the report holds {name}, which is not JSON; refusing it")


def parse_report(data: bytes, what: str = "the report") -> Report:
    """The report in ``data`` (untrusted bytes), or :class:`ReportError` saying why not."""
    import jsonschema  # type: ignore[import-untyped]  # no stubs installed with it

    if len(data) > MAX_REPORT_BYTES:
        raise ReportError(f"{what} is {len(data)} bytes, more than the {MAX_REPORT_BYTES} "
                          "a report can be; refusing it")
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                         parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{what} is not JSON ({exc}); refusing it") from None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(strict_schema()).iter_errors(raw))
    if error is not None:
        place = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise ReportError(f"{what} does not match the report schema at {place}: "
                          f"{error.message[:300]}; refusing it")
    _check_sums(raw, what)
    return Report.from_dict(raw)


def _check_sums(raw: dict[str, Any], what: str) -> None:
    known = {ex.slug for ex in _manifest.load()}
    slugs = [ex["slug"] for ex in raw["exercises"]]
    if len(set(slugs)) != len(slugs) or not set(slugs) <= known:
        raise ReportError(f"{what} lists exercises this course does not have, or one twice: "
                          f"{sorted(set(slugs) - known) or slugs}; refusing it")
    for ex in raw["exercises"]:
        if ex["score"] > ex["max_score"] or any(t["score"] > t["max_score"] for t in ex["tests"]):
            raise ReportError(f"{what} gives {ex['slug']} more points than it is worth; "
                              "refusing it")
    if (raw["score"] != sum(ex["score"] for ex in raw["exercises"])
            or raw["max_score"] != sum(ex["max_score"] for ex in raw["exercises"])):
        raise ReportError(f"{what}: its total is not the sum of its exercises; refusing it")


def parse_claim(data: bytes) -> Claim:
    if len(data) > MAX_CLAIM_BYTES:
        raise ReportError(f"{CLAIM_NAME} is larger than {MAX_CLAIM_BYTES} bytes; refusing it")
    try:
        raw = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReportError(f"{CLAIM_NAME} is not JSON; refusing the artifact") from None
    if not isinstance(raw, dict) or set(raw) - {"number", "head_sha"}:
        raise ReportError(f"{CLAIM_NAME} must be {{\"number\", \"head_sha\"}}; refusing it")
    number, sha = raw.get("number"), raw.get("head_sha")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise ReportError(f"{CLAIM_NAME}: number must be an integer; refusing it")
    if sha is not None and not (isinstance(sha, str) and len(sha) == 40
                                and all(c in "0123456789abcdef" for c in sha)):
        raise ReportError(f"{CLAIM_NAME}: head_sha must be a 40-hex commit; refusing it")
    return Claim(number, sha)


def read_artifact(data: bytes) -> tuple[Report, Claim]:
    """The report (and the run's claim) from an artifact's zip, read in memory: nothing is
    ever extracted to disk, so no name in it can point anywhere."""
    if len(data) > MAX_ARTIFACT_BYTES:
        raise ReportError(f"the artifact is {len(data)} bytes, more than {MAX_ARTIFACT_BYTES}; "
                          "refusing it")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ReportError(f"the artifact is not a zip file ({exc}); refusing it") from None
    with archive:
        names = [m.filename for m in members]
        for name in names:
            if name not in ARTIFACT_FILES:
                shown = json.dumps(name[:100])
                why = ("a path, not a plain file name" if any(c in name for c in "/\\:")
                       or name.startswith(".") else "not a file the workflow uploads")
                raise ReportError(f"the artifact holds {shown}: {why} (expected only "
                                  f"{', '.join(sorted(ARTIFACT_FILES))}); refusing it")
        if len(set(names)) != len(names):
            raise ReportError("the artifact holds a file twice; refusing it")
        if REPORT_NAME not in names:
            raise ReportError(f"the artifact has no {REPORT_NAME}; refusing it")
        report = parse_report(_read_member(archive, REPORT_NAME, MAX_REPORT_BYTES),
                              f"the artifact's {REPORT_NAME}")
        claim = (parse_claim(_read_member(archive, CLAIM_NAME, MAX_CLAIM_BYTES))
                 if CLAIM_NAME in names else Claim(None, None))
    return report, claim


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes, whatever the zip's header claims (a zip bomb stops here)."""
    try:
        with archive.open(name) as f:
            data = f.read(limit + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
        raise ReportError(f"the artifact's {name} cannot be read ({exc}); refusing it") from None
    if len(data) > limit:
        raise ReportError(f"the artifact's {name} is larger than {limit} bytes; refusing it")
    return data

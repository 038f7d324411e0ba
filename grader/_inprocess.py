"""The suites without a sandbox: student code imported into the grader's own process.

For benchmarks only (``bench/``): it is what "the same suites run in one plain pytest
process" means, the baseline the sandbox's cost is measured against. It trusts the
submission completely; never grade untrusted code with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._child import kit, worker


class InProcessWorker:
    def __init__(self, slug: str, module: Any) -> None:
        self.slug, self.module = slug, module

    def run(self, scenario: str, args: dict[str, Any], time_limit: float) -> dict[str, Any]:
        return kit.execute(self.module, f"{self.slug}.{scenario}", args)


class InProcessSandbox:
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules
        self.loaded: dict[str, tuple[Any, dict[str, Any] | None]] = {}
        worker.prepare()

    def start(self, slugs: list[str]) -> None:
        for slug in slugs:
            self.ready(slug, 0)

    def ready(self, slug: str, time_limit: float) -> dict[str, Any]:
        if slug not in self.loaded:
            self.loaded[slug] = worker.load_student_module(slug, str(self.modules[slug]))
        return {"ready": True, "import_error": self.loaded[slug][1]}

    def worker(self, slug: str) -> InProcessWorker:
        return InProcessWorker(slug, self.loaded[slug][0])

    def close(self) -> None:
        pass

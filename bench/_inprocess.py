"""The suites without a sandbox: student code imported into the grader's own process.

For benchmarks only: it is what "the same suites run in one plain pytest process"
means, the baseline the sandbox's cost is measured against. It trusts the submission
completely; never grade untrusted code with it. The grading path never imports it.

    python bench/_inprocess.py PATH      grade PATH this way, print the JSON report
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader._child import kit, worker
from grader._wire import Answer, Hello


class InProcessWorker:
    def __init__(self, module: Any) -> None:
        self.module = module

    def run(self, scenario: str, args: dict[str, Any], time_limit: float) -> Answer:
        return Answer("in-process", kit.execute(self.module, scenario, args), [])


class InProcessSandbox:
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules
        self.loaded: dict[str, tuple[Any, Any]] = {}
        self.overruns: dict[str, Any] = {}
        worker.prepare()

    def start(self, slugs: list[str]) -> None:
        for slug in slugs:
            self.ready(slug, 0)

    def ready(self, slug: str, time_limit: float) -> Hello:
        if slug not in self.loaded:
            self.loaded[slug] = worker.load_student_module(slug, str(self.modules[slug]))
        return Hello(self.loaded[slug][1], None, [])

    def worker(self, slug: str) -> InProcessWorker:
        return InProcessWorker(self.loaded[slug][0])

    def close(self) -> None:
        pass


if __name__ == "__main__":
    from grader._grading import grade

    report = grade(sys.argv[1], sandbox=InProcessSandbox, parallel=1)  # type: ignore[arg-type]
    print(report.to_json())

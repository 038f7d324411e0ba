"""aiograde: an asyncio course and an autograder that trusts nothing that runs student code.

Public API::

    from grader import grade, Report
    report = grade("solutions")          # or a student's checkout
    print(report.score, report.max_score)

The package is imported by the sandboxed child too (for its scenario code), so this
module stays light: the grading machinery, which needs pytest, loads on first use.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Report", "SubmissionError", "__version__", "grade"]

if TYPE_CHECKING:
    from ._errors import SubmissionError
    from ._grading import grade
    from ._report import Report


def __getattr__(name: str) -> Any:
    if name == "grade":
        from ._grading import grade

        return grade
    if name == "SubmissionError":
        from ._errors import SubmissionError

        return SubmissionError
    if name == "Report":
        from ._report import Report

        return Report
    raise AttributeError(name)

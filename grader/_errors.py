"""One root for every error a user can cause, a subclass per kind of bad input.

``main`` catches :class:`AiogradeError` once and prints its message (exit 2): a
mistake in what the user typed or gave us never shows a traceback. Anything else
that escapes is a bug in aiograde itself. (The shape follows httpx's ``_exceptions``.)
"""

from __future__ import annotations


class AiogradeError(Exception):
    """Bad input to aiograde; the message says what was wrong and what to do."""


class UsageError(AiogradeError):
    """A command-line option or argument that cannot be honoured as given."""


class SubmissionError(AiogradeError):
    """Nothing gradable where the user pointed, or a submission that cannot be read."""


class ManifestError(AiogradeError):
    """The course's manifest (``grader/curriculum.toml``) is malformed or incomplete."""


class GradebookError(AiogradeError):
    """A gradebook that cannot be opened, written or read by this version."""


class ReportError(AiogradeError):
    """A report (JSON) that is not one of ours: wrong schema version, fields or size."""


class OutputError(AiogradeError):
    """A file or folder aiograde was asked to write cannot be written."""


class GitHubError(AiogradeError):
    """The GitHub API refused a request or kept failing (token, repository, rate limit)."""

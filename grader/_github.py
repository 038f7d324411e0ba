"""A small GitHub REST client: what posting grades and listing a class need, nothing more.

Built on requests with urllib3's ``Retry`` (rather than httpx, whose transport retries
only failed connections: every status retry would be home-made there). ``Retry``
retries connection errors and 5xx answers with exponential backoff. GitHub's rate
limits (403 or 429 with ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``, or a
secondary limit's ``Retry-After``) need the response's headers, so
:meth:`GitHub._send` waits them out itself, up to ``max_wait`` seconds.

The API's address comes from ``GITHUB_API_URL`` (set by GitHub Actions, and pointed at a
fake server by the tests) and the token from ``GITHUB_TOKEN``. A workflow's
``GITHUB_TOKEN`` posts as ``github-actions[bot]`` and cannot read ``/user``:
:meth:`GitHub.login` says so instead of failing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import __version__
from ._errors import GitHubError

DEFAULT_API_URL = "https://api.github.com"
# Who a workflow's GITHUB_TOKEN (an installation token of GitHub's own app) posts as.
ACTIONS_BOT = "github-actions[bot]"
SERVER_ERRORS = (500, 502, 503, 504)
RETRIES = 4  # after the first try, for 5xx answers and broken connections
BACKOFF = 1.0  # seconds; urllib3 waits BACKOFF * 2 ** (retry - 1) between tries
RATE_LIMIT_TRIES = 3  # rate-limited answers waited out before giving up
MAX_WAIT = 900.0  # seconds: a longer rate-limit wait fails with a message instead
TIMEOUT = 30.0  # seconds for one request
PER_PAGE = 100  # the API's maximum page size


class StatusError(GitHubError):
    """The API answered an error status (after the retries)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class GitHub:
    """The REST API at ``api_url`` with ``token`` (both default to the environment)."""

    def __init__(self, token: str | None = None, api_url: str | None = None, *,
                 retries: int = RETRIES, backoff: float = BACKOFF, max_wait: float = MAX_WAIT,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        token = token if token is not None else os.environ.get("GITHUB_TOKEN", "")
        self.max_wait, self._sleep = max_wait, sleep
        self.session = requests.Session()
        # The token as an auth object, not a header: requests would otherwise replace it with
        # ~/.netrc's credentials for the host. (Proxy settings from the environment apply.)
        self.session.auth = _Bearer(token) if token else None
        self.session.headers.update({
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"aiograde/{__version__}",
        })
        retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                      backoff_factor=backoff, status_forcelist=SERVER_ERRORS,
                      # POST is left out: a comment created before a 502 must not be created
                      # twice (the sticky comment retries by looking for it again).
                      allowed_methods=frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"}),
                      # Retry-After (429, 403) is ours to honour, with a cap and a message.
                      respect_retry_after_header=False, raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            if _origin(path) != _origin(self.api_url):
                raise GitHubError(f"refusing to send the token to {_origin(path)}, which is not "
                                  f"the API at {self.api_url}")
            return path
        return self.api_url + "/" + path.lstrip("/")

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self._url(path)
        for _ in range(RATE_LIMIT_TRIES):
            try:
                response = self.session.request(method, url, timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                raise GitHubError(f"{method} {url} failed: {exc}") from exc
            wait = _rate_limit_wait(response)
            if wait is None:
                break
            if wait > self.max_wait:
                raise GitHubError(f"GitHub's rate limit: {method} {url} may be retried in "
                                  f"{wait:.0f} s, longer than the {self.max_wait:.0f} s this "
                                  "command waits. Run it again later.")
            self._sleep(wait)
        if response.status_code >= 400:
            raise StatusError(response.status_code, _explain(method, url, response))
        return response

    def request(self, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer (``None`` for an empty one); :class:`GitHubError` on 4xx/5xx."""
        response = self._send(method, path, json=json, params=params)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise GitHubError(f"{method} {response.url} answered something that is not JSON") from exc

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def paginate(self, path: str, **params: Any) -> Iterator[Any]:
        """Every item of a list endpoint, 100 a page, following ``Link: rel="next"``.

        For endpoints that wrap their list (``{"artifacts": [...]}``), ``key`` names it.
        """
        key = params.pop("key", None)
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": PER_PAGE, **params}
        while url:
            response = self._send("GET", url, params=query)
            page = response.json()
            items = page[key] if key else page
            if not isinstance(items, list):
                raise GitHubError(f"GET {response.url} did not answer a list")
            yield from items
            url, query = response.links.get("next", {}).get("url"), None

    def download(self, path: str, limit: int) -> bytes:
        """A file the API serves (e.g. an artifact's zip, after a redirect), at most ``limit``
        bytes. requests drops the token when a redirect leaves the API's host."""
        response = self._send("GET", path, stream=True)
        with response:
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise GitHubError(f"GET {path}: the download is larger than {limit} bytes; "
                                      "refusing it")
                chunks.append(chunk)
        return b"".join(chunks)

    def login(self) -> str:
        """Who this token posts as. A workflow's or an app's token cannot read ``/user``: then
        ``github-actions[bot]`` (an app's bot must be named with ``--as``)."""
        try:
            user = self.get("/user")
        except StatusError as exc:
            if exc.status in (401, 403):
                return ACTIONS_BOT
            raise
        return str(user["login"])


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None if it is not one."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    if headers.get("retry-after", "").strip().isdigit():  # a secondary rate limit
        return float(headers["retry-after"].strip())
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
        return max(0.0, int(headers["x-ratelimit-reset"]) - time.time()) + 1.0
    return None


def _explain(method: str, url: str, response: requests.Response) -> str:
    try:
        detail = str(response.json().get("message", ""))
    except (ValueError, AttributeError):
        detail = response.text[:200]
    what = {401: "the token was refused: set GITHUB_TOKEN to a valid token",
            403: "the token lacks a permission (see docs/instructors.md for the ones needed)",
            404: "not found, or the token cannot see it",
            422: "GitHub refused the request's content"}.get(response.status_code, "")
    return (f"{method} {url} answered {response.status_code} {detail}"
            + (f" ({what})" if what else "")).strip()

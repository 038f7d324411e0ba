"""A fake GitHub REST API on loopback: the endpoints aiograde uses, with GitHub's shapes.

State is plain dicts the tests fill in and read back. Tokens map to logins; a token
marked ``app`` behaves like a workflow's GITHUB_TOKEN (``/user`` answers 403). ``fail``
queues error statuses for the next requests to a path (to test retries); every request
is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BODY_LIMIT = 65_536


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    app_tokens: set[str] = field(default_factory=set)  # tokens that cannot read /user
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(list))
    pulls: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    files: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    artifacts: dict[tuple[str, int], list[tuple[dict[str, Any], bytes]]] = field(
        default_factory=dict)
    org_repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    fail: dict[str, list[int | tuple[int, dict[str, str]]]] = field(
        default_factory=lambda: defaultdict(list))
    requests: list[Recorded] = field(default_factory=list)
    per_page_cap: int = 100
    url: str = ""
    _next_id: int = 1000

    # -- helpers for tests ---------------------------------------------------------------

    def add_pull(self, repo: str, number: int, sha: str, head_repo: str | None = None,
                 updated_at: str = "2026-01-01T00:00:00Z") -> None:
        self.pulls[repo].append({"number": number, "updated_at": updated_at,
                                 "head": {"sha": sha, "repo": {"full_name": head_repo or repo}}})

    def add_comment(self, repo: str, number: int, login: str, body: str) -> int:
        self._next_id += 1
        self.comments[(repo, number)].append({"id": self._next_id, "body": body,
                                              "user": {"login": login}})
        return self._next_id

    def find(self, method: str, pattern: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    # -- the server ----------------------------------------------------------------------

    def serve(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, data: Any = None, headers: dict[str, str] | None = None,
                        raw: bytes | None = None) -> None:
                body = raw if raw is not None else (b"" if data is None else json.dumps(data).encode())
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/json" if raw is None
                                 else "application/zip")
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                query = parse_qs(parts.query)
                fake.requests.append(Recorded(method, parts.path, query, dict(self.headers), body))
                queued = fake.fail.get(parts.path)
                if queued:
                    failure = queued.pop(0)
                    status, headers = failure if isinstance(failure, tuple) else (failure, {})
                    return self._answer(status, {"message": "injected failure"}, headers)
                if parts.path.startswith("/blobs/"):
                    return fake.route(self, method, parts.path, query, body, "", "")
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ").strip()
                login = fake.tokens.get(token)
                if login is None:
                    return self._answer(401, {"message": "Bad credentials"})
                try:
                    fake.route(self, method, parts.path, query, body, token, login)
                except KeyError:
                    self._answer(404, {"message": "Not Found"})

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return server

    def _page(self, handler: Any, path: str, query: dict[str, list[str]], items: list[Any],
              wrap: str | None = None) -> None:
        per_page = min(int(query.get("per_page", ["30"])[0]), self.per_page_cap)
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
        handler._answer(200, {wrap: chunk, "total_count": len(items)} if wrap else chunk, headers)

    def route(self, h: Any, method: str, path: str, query: dict[str, list[str]], body: Any,
              token: str, login: str) -> None:
        m = re.fullmatch
        if method == "GET" and path == "/user":
            if token in self.app_tokens:
                return h._answer(403, {"message": "Resource not accessible by integration"})
            return h._answer(200, {"login": login})
        if match := m(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", path):
            key = (match[1], int(match[2]))
            if method == "GET":
                return self._page(h, path, query, self.comments[key])
            if len(body["body"]) > BODY_LIMIT:
                return h._answer(422, {"message": "Body is too long (maximum is 65536 characters)"})
            comment_id = self.add_comment(key[0], key[1], login, body["body"])
            return h._answer(201, {"id": comment_id, "body": body["body"], "user": {"login": login}})
        if (match := m(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)) and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(match[2]):
                        if len(body["body"]) > BODY_LIMIT:
                            return h._answer(422, {"message": "Body is too long"})
                        comment["body"] = body["body"]
                        return h._answer(200, comment)
            raise KeyError(path)
        if match := m(r"/repos/([^/]+/[^/]+)/pulls", path):
            return self._page(h, path, query, self.pulls[match[1]])
        if match := m(r"/repos/([^/]+/[^/]+)/pulls/(\d+)/files", path):
            return self._page(h, path, query, self.files.get((match[1], int(match[2])), []))
        if match := m(r"/repos/([^/]+/[^/]+)/actions/runs/(\d+)/artifacts", path):
            found = [meta for meta, _ in self.artifacts.get((match[1], int(match[2])), [])]
            return self._page(h, path, query, found, wrap="artifacts")
        if match := m(r"/repos/([^/]+/[^/]+)/actions/artifacts/(\d+)/zip", path):
            # As GitHub does: a redirect to where the zip is stored, another host, which
            # must not receive the token (it needs none).
            blobs = self.url.replace("127.0.0.1", "localhost")
            return h._answer(302, headers={"Location": f"{blobs}/blobs/{match[2]}"})
        if match := m(r"/blobs/(\d+)", path):
            for artifacts in self.artifacts.values():
                for meta, data in artifacts:
                    if meta["id"] == int(match[1]):
                        return h._answer(200, raw=data)
            raise KeyError(path)
        if (match := m(r"/repos/([^/]+/[^/]+)/check-runs", path)) and method == "POST":
            self._next_id += 1
            self.check_runs[match[1]].append({"id": self._next_id, **body})
            return h._answer(201, {"id": self._next_id})
        if match := m(r"/orgs/([^/]+)/repos", path):
            return self._page(h, path, query, self.org_repos[match[1]])
        raise KeyError(path)


APP_TOKEN = "ghs_workflow"  # a workflow's GITHUB_TOKEN: posts as github-actions[bot]
STUDENT_TOKEN = "ghp_student"
INSTRUCTOR_TOKEN = "ghp_instructor"


def started() -> tuple[FakeGitHub, ThreadingHTTPServer]:
    fake = FakeGitHub(tokens={APP_TOKEN: "github-actions[bot]", STUDENT_TOKEN: "student",
                              INSTRUCTOR_TOKEN: "instructor"}, app_tokens={APP_TOKEN})
    return fake, fake.serve()

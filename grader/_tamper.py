"""The tamper report's static half: what a submission's source does that no honest
answer needs, read from its syntax tree (nothing is run). The run-time half is the
child's audit hook (``grader._child.tamper``).

Every finding flags the submission for an instructor's review. Its *severity* comes
from its kind (``SEVERITY``), never from the child: *tampering* is what no honest answer
does (reaching into the grader's objects, rewriting or unwrapping its instruments,
rewinding its clock, hiding tasks, forging answers or exceptions) and zeroes the exercise
by default; *suspicious* is what an honest answer rarely needs (gc, ctypes, exec, writes
outside its folder) and only flags. ``--tamper`` sets the policy: ``tampering`` (the
default), ``flag`` (never zero) or ``zero`` (zero every flagged exercise).
"""

from __future__ import annotations

import ast
import builtins
import os
from pathlib import Path

from ._bounds import cap_findings
from ._report import Finding

GRADER_MODULES = {"pytest", "_pytest", "pluggy", "grader", "solutions", "exercises", "checks",
                  "tests", "looptime", "blockbuster", "forbiddenfruit"}
SUSPICIOUS_MODULES = {"ctypes": "loads ctypes (raw memory and native code)",
                      "gc": "imports gc (walks the interpreter's objects)"}
# Modules whose functions a submission has no reason to replace.
STDLIB_PATCH_TARGETS = {"asyncio", "time", "threading", "socket", "selectors", "subprocess", "os",
                        "sys", "builtins", "signal", "concurrent", "functools", "inspect"}
CALLS = {
    "os._exit": ("process-control", "ends the process with os._exit"),
    "sys.exit": ("process-control", "calls sys.exit"),
    "os.kill": ("signals", "sends signals with os.kill"),
    "os.killpg": ("signals", "sends signals with os.killpg"),
    "os.abort": ("process-control", "aborts the process"),
    "signal.signal": ("signals", "changes signal handlers"),
    "signal.setitimer": ("signals", "arms or disarms interval timers"),
    "signal.alarm": ("signals", "arms or disarms SIGALRM"),
    "sys._getframe": ("introspection", "reads the call stack's frames"),
    "sys._current_frames": ("introspection", "reads other threads' frames"),
    "inspect.currentframe": ("introspection", "reads the call stack's frames"),
    "inspect.stack": ("introspection", "reads the call stack"),
    "gc.get_objects": ("introspection", "walks every object in the process"),
    "gc.get_referrers": ("introspection", "walks the object graph"),
    "sys.settrace": ("introspection", "installs a trace function"),
    "sys.setprofile": ("introspection", "installs a profile function"),
    "sys.addaudithook": ("introspection", "installs an audit hook"),
    "setattr": ("patches-stdlib", "sets attributes with setattr (check its target)"),
    "exec": ("runs-text", "runs code from text with exec"),
    "eval": ("runs-text", "evaluates code from text with eval"),
    "compile": ("runs-text", "compiles code from text"),
    "__import__": ("runs-text", "imports modules by computed name"),
    "os.fork": ("process-control", "forks the process (asyncio's subprocess functions never need it)"),
    "os.forkpty": ("process-control", "forks the process"),
    "os.setsid": ("process-control", "starts a new session (a way to outlive the grading)"),
    "select.select": ("blocking-wait", "waits on file descriptors outside the event loop "
                      "(select.select): the loop's thread blocks"),
    "select.poll": ("blocking-wait", "polls file descriptors outside the event loop"),
    "select.epoll": ("blocking-wait", "polls file descriptors outside the event loop"),
    "socket.if_nameindex": ("network", "lists the machine's network interfaces"),
}
# Attributes that lead into other code's internals: its cells, globals, frames, originals.
INTERNAL_ATTRIBUTES = {"__closure__", "cell_contents", "__globals__", "f_back", "f_globals",
                       "f_locals", "tb_frame", "__wrapped__", "_all_tasks", "gi_frame",
                       "cr_frame", "ag_frame", "__code__", "__defaults__", "__kwdefaults__",
                       "__builtins__"}
BUILTIN_EXCEPTIONS = {name for name in dir(builtins)
                      if isinstance(getattr(builtins, name), type)
                      and issubclass(getattr(builtins, name), BaseException)}
TAMPERING, SUSPICIOUS = "tampering", "suspicious"
# A class whose comparison answers one constant, whatever the other side (static scan).
LYING_COMPARISONS = {"__eq__": True, "__ne__": False}
# kind -> (severity, why). Kinds not listed are suspicious.
SEVERITY: dict[str, tuple[str, str]] = {
    "rewrites-instruments": (TAMPERING, "the grader's instruments were replaced, unwrapped or "
                             "rewritten while the submission ran; no honest answer touches them"),
    "rewinds-clock": (TAMPERING, "the event loop's clock went back or was replaced: time is "
                      "what decides concurrency, and no honest answer sets it"),
    "forges-counts": (TAMPERING, "the grader's count of calls or of calls at once was edited "
                      "by hand"),
    "hides-tasks": (TAMPERING, "a running task was removed from asyncio's registry, which "
                    "only hides it from whoever checks what is left behind"),
    "reaches-grader": (TAMPERING, "the submission read the grader's own frames, code or "
                       "memory (frames, object graph, raw memory, tracing), the way to rewrite "
                       "its measurements"),
    "forges-answers": (TAMPERING, "the submission wrote on the grader's private channel"),
    "forges-exception": (TAMPERING, "an exception class made to carry a built-in's name: "
                         "its only use is to be mistaken for the real one"),
    "imports-grader": (TAMPERING, "the submission imports the grader or its test framework"),
    "patches-stdlib": (SUSPICIOUS, "replaces standard-library functions; the grader measures "
                       "with the library as it is (tampering when seen replaced at run time)"),
}
# At run time, a standard-library function found replaced after a scenario is tampering.
RUNTIME_TAMPERING = {"patches-stdlib"}


def classify(finding: Finding) -> Finding:
    """Set the finding's severity and why from its kind (the child's word is not taken)."""
    severity, why = SEVERITY.get(finding.kind, (SUSPICIOUS, "no honest answer needs it, but "
                                                "it changes no measurement by itself"))
    if finding.origin == "runtime" and finding.kind in RUNTIME_TAMPERING:
        severity = TAMPERING
    if finding.kind == "more-findings" and finding.severity == TAMPERING:
        severity, why = TAMPERING, finding.why
    finding.severity, finding.why = severity, why
    return finding


# Files in a submission folder that only a test runner reads: never run, always reported.
TEST_RUNNER_FILES = ("conftest.py", "pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml",
                     "sitecustomize.py", "usercustomize.py")


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.found: list[Finding] = []
        self.aliases: dict[str, str] = {}  # local name -> module it stands for

    def add(self, node: ast.AST, kind: str, message: str) -> None:
        self.found.append(Finding(kind, message, self.filename, getattr(node, "lineno", None),
                                  "static"))

    def _module(self, node: ast.AST, name: str) -> None:
        top = name.split(".")[0]
        if top in GRADER_MODULES:
            self.add(node, "imports-grader", f"imports {name}, part of the grader or its test "
                     "framework")
        elif top in SUSPICIOUS_MODULES:
            self.add(node, "introspection", SUSPICIOUS_MODULES[top])

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._module(node, alias.name)
            self.aliases[(alias.asname or alias.name).split(".")[0]] = alias.name.split(".")[0] \
                if not alias.asname else alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self._module(node, node.module)
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    def _resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def _forged_exception(self, node: ast.AST, name: str, how: str) -> None:
        if name in BUILTIN_EXCEPTIONS:
            self.add(node, "forges-exception", f"{how} named {name}, like the built-in "
                     "exception")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._forged_exception(node, node.name, "defines a class")
        for item in node.body:  # an answer that equals anything passes any comparison
            if isinstance(item, ast.FunctionDef) and item.name in LYING_COMPARISONS and \
                    len(item.body) == 1 and isinstance(item.body[0], ast.Return) and \
                    isinstance(item.body[0].value, ast.Constant) and \
                    item.body[0].value.value is LYING_COMPARISONS[item.name]:
                self.add(item, "lies-about-equality", f"{node.name}.{item.name} answers "
                         f"{LYING_COMPARISONS[item.name]} whatever it is compared with")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = self._resolve(_dotted(node.func))
        first = node.args[0] if node.args else None
        if name == "type" and len(node.args) == 3 and isinstance(first, ast.Constant) and \
                isinstance(first.value, str):
            self._forged_exception(node, first.value, "builds a class with type()")
        if name == "sys.audit" and isinstance(first, ast.Constant) and \
                str(first.value).startswith("aiograde."):
            self.add(node, "reaches-grader", "raises the grader's own audit events, to talk "
                     "to its sentinel")
        if name in CALLS and not (name == "setattr" and not self._targets_stdlib(node)):
            kind, message = CALLS[name]
            self.add(node, kind, message)
        self.generic_visit(node)

    def _targets_stdlib(self, node: ast.Call) -> bool:
        return bool(node.args) and self._resolve(_dotted(node.args[0])).split(".")[0] in \
            STDLIB_PATCH_TARGETS

    def _assigned(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self._forged_exception(target, target.id, "rebinds a name")
        if isinstance(target, ast.Attribute):
            owner = self._resolve(_dotted(target.value))
            if owner.split(".")[0] in STDLIB_PATCH_TARGETS:
                self.add(target, "patches-stdlib", f"replaces {owner}.{target.attr}")
        elif isinstance(target, ast.Subscript) and self._resolve(_dotted(target.value)) in (
                "sys.modules", "builtins.__dict__"):
            self.add(target, "patches-stdlib", f"writes into {_dotted(target.value)}")
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assigned(element)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._assigned(node.target)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id == "__builtins__":
            self.add(node, "patches-stdlib", "touches __builtins__")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._resolve(_dotted(node)) == "sys.modules":
            self.add(node, "patches-stdlib", "reaches into sys.modules")
        if node.attr in INTERNAL_ATTRIBUTES:
            self.add(node, "introspection", f"reads {node.attr}, a way into other code's "
                     "internals (its cells, globals, frames or originals)")
        self.generic_visit(node)


def scan(filename: str, source: bytes) -> list[Finding]:
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError):
        return []  # the import will fail and say why; nothing to flag
    scanner = _Scanner(filename)
    scanner.visit(tree)
    unique: dict[tuple[str, int | None], Finding] = {}
    for finding in scanner.found:
        unique.setdefault((finding.kind, finding.line), finding)
    return cap_findings(list(unique.values()))


def scan_folder(folder: Path) -> list[Finding]:
    """Files beside the exercise modules that configure or hook a test runner or Python
    itself. The grader never reads them; that a submission brings them is worth a look."""
    found = []
    for name in TEST_RUNNER_FILES:
        if os.path.lexists(folder / name):
            found.append(Finding("test-runner-file", f"the submission brings {name}, which only "
                                 "a test runner or Python's start-up reads (never the grader)",
                                 name, None, "static"))
    for pth in sorted(folder.glob("*.pth")):
        found.append(Finding("test-runner-file", f"the submission brings {pth.name}, a file "
                             "Python's start-up runs", pth.name, None, "static"))
    return found

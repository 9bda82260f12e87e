"""Record the AWS calls Chorus's Lambda code makes, as IAM sees them: an action on a resource.

moto enforces no IAM, so a call the deployed policy does not grant passes every test and fails in AWS.
The test session records every call (tests/aws_calls.py) and so does each `make run` runner the e2e tests
start (when ``CHORUS_AWS_CALL_LOG`` names a folder, each process appends to ``<pid>.jsonl`` there);
tests/integration/test_lambda_policy.py checks them all against the policy.

Which calls are the Lambda's: those made while app.py is on the stack (every invocation passes its
middleware, and the handler's name says which function it is), and those of domain code in functions/
that a test calls directly. Not: local set-up in infra/ (the runner's tables, demo data, stream and
queue pumping — the event source mapping's job in AWS — the sandbox's secret), the benchmarks' bulk-loaded
fixtures (bench/) and the operator's CLI (functions/cli.py, run with the operator's own credentials). A
call from a thread a handler started (the site build's parallel uploads) has no handler on its stack and
counts as domain code.

The hook is botocore's ``before-parameter-build`` event, registered in every botocore session created
afterwards (``botocore.handlers.BUILTIN_HANDLERS``, the way moto's mock registers itself). It fires on
every API call right before ``before-call`` but, unlike it, sees the call's parameters (table, queue,
key) rather than the serialized request, and it also fires for presigned URLs, which are signed with the
Lambda's role.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOG_VARIABLE = "CHORUS_AWS_CALL_LOG"
_EVENT = "before-parameter-build"


@dataclass(frozen=True)
class Call:
    """One distinct call as IAM authorizes it, and where the Lambda code made it."""

    action: str  # "dynamodb:Query"
    resource: str  # an ARN, or "*"
    handlers: tuple[str, ...]  # app.py functions on the stack, outermost first; () for domain code a test called
    where: str  # the innermost project frame, "functions/content/feed_store.py:88"
    unmapped: str | None = None  # why infra/iam.py could not map it, if it could not


class Recorder:
    """Collects distinct calls; with ``log`` set, also appends each new one to that file as a JSON line."""

    def __init__(self, log: Path | None = None) -> None:
        self.calls: dict[tuple[str, str, tuple[str, ...]], Call] = {}
        self.log = log
        self.lock = threading.Lock()
        self._files: dict[str, tuple[str, str]] = {}  # file name → (kind, path in the project); see _kind

    def __call__(self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
        origin = self._origin(sys._getframe(1))
        if origin is None:
            return
        handlers, where = origin
        service, operation = model.service_model.service_name, model.name
        region = (context or {}).get("client_region") or "us-east-1"
        try:
            from infra.iam import UnmappedCallError, iam_requests

            presigned = bool((context or {}).get("is_presign_request"))
            if presigned and (service, operation) == ("s3", "CreateBucket"):
                params = {**params, **_presigned_post_key(sys._getframe(1))}
            requests = iam_requests(service, operation, params, region, presigned=presigned)
            calls = [Call(a, r, handlers, where) for a, r in requests]
        except UnmappedCallError as exc:
            calls = [Call(f"{service}:{operation}", "?", handlers, where, unmapped=str(exc))]
        with self.lock:
            for call in calls:
                key = (call.action, call.resource, call.handlers)
                if key not in self.calls:
                    self.calls[key] = call
                    if self.log is not None:
                        with self.log.open("a", encoding="utf-8") as out:
                            out.write(json.dumps(asdict(call)) + "\n")

    def _origin(self, frame: Any) -> tuple[tuple[str, ...], str] | None:
        """The app.py functions on the stack and the innermost project frame, or None if not the Lambda's.

        Set-up code nearer the call than any app.py frame makes it set-up's, whatever serves it: `make run`'s
        local-only /dev routes run behind the app's middleware but do the schedule's and the event source
        mapping's work (planning digests, pumping their queue), which no deployed API does."""
        handlers: list[str] = []
        where = None
        domain = False
        while frame is not None:
            code = frame.f_code
            known = self._files.get(code.co_filename)
            if known is None:
                path = _relative(code.co_filename)
                known = self._files[code.co_filename] = (_kind(path), path)
            kind, path = known
            if kind:
                if where is None:
                    where = f"{path}:{frame.f_lineno}"
                if kind == "app":
                    handlers.append(code.co_name)
                elif kind == "functions":
                    domain = True
                elif kind == "setup" and not handlers:
                    return None
            frame = frame.f_back
        if handlers:
            return tuple(reversed(handlers)), where or "?"
        if domain:
            return (), where or "?"
        return None


def _presigned_post_key(frame: Any) -> dict[str, str]:
    """The key a presigned POST is signed for: botocore signs it on CreateBucket's model, which has no Key, so
    the key is read from generate_presigned_post's own frame ({} if it is not on the stack)."""
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and isinstance(frame.f_locals.get("Key"), str):
            return {"Key": frame.f_locals["Key"]}
        frame = frame.f_back
    return {}


def _relative(filename: str) -> str:
    try:
        return Path(filename).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return filename


def _kind(path: str) -> str:
    """What a file is to the recorder: "app", "functions" (domain), "setup" (infra/, bench/, the CLI), "project"
    (tests) or "" (outside the project: the standard library, installed packages)."""
    if path.startswith("/") or path.startswith((".venv/", "<")):
        return ""
    if path == "app.py":
        return "app"
    if path == "functions/cli.py" or path.startswith(("infra/", "bench/")):
        return "setup"
    if path.startswith("functions/"):
        return "functions"
    return "project"


_installed: Recorder | None = None


def install(log: Path | None = None) -> Recorder:
    """Record from now on, in every botocore session created after this call; returns the recorder."""
    global _installed
    if _installed is None:
        import botocore.handlers

        _installed = Recorder(log)
        botocore.handlers.BUILTIN_HANDLERS.append((_EVENT, _installed))
    return _installed


def install_from_env() -> Recorder | None:
    """In a process started with ``CHORUS_AWS_CALL_LOG=<folder>``: record into ``<folder>/<pid>.jsonl``."""
    folder = os.environ.get(LOG_VARIABLE)
    if not folder:
        return None
    return install(Path(folder) / f"{os.getpid()}.jsonl")


def logged(folder: Path) -> list[Call]:
    """The calls other processes logged into ``folder``."""
    calls = []
    for log in sorted(folder.glob("*.jsonl")):
        lines = log.read_text(encoding="utf-8").split("\n")[:-1]  # a runner may be writing the last one now
        for line in lines:
            values = json.loads(line)
            calls.append(Call(**{**values, "handlers": tuple(values["handlers"])}))
    return calls

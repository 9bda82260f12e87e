"""`make run`'s in-process AWS: moto's threaded server, answering one AWS call at a time.

moto's backends are plain dicts and lists with no locks of their own: each call assumes it is alone. The
runner is not: visitors are served one thread per connection, and counting, queue pumps, site builds and
state snapshots run on threads of their own. Measured on moto 5.2: a TransactWriteItems deep-copies its
table while another thread's PutItem grows it, and fails with "dictionary changed size during iteration"
(a 500); Scans and stream reads walk the same dicts. In DynamoDB every call is atomic; here a lock around
moto's request handling makes it so. It costs little: only one thread runs Python at a time anyway (the
GIL), and only moto's own work waits (each thread reads its HTTP request and runs the app's code as
before).

What this rules out: a call that waits inside moto holds every other call meanwhile. SQS long polling
(``WaitTimeSeconds``) is such a call, so the local queue pumps poll without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.server import ThreadedMotoServer

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OneAtATime:
    """A WSGI app that lets one request at a time into ``app``, body included."""

    def __init__(self, app: WsgiApp, lock: threading.Lock | None = None) -> None:
        self.app = app
        self.lock = lock or threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            response = self.app(environ, start_response)
            try:
                return list(response)  # a streamed body is produced inside moto too: read it all here
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()


class SerialMotoServer(ThreadedMotoServer):
    """moto's ThreadedMotoServer (threads read and write the HTTP), its backends behind ``OneAtATime``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = threading.Lock()  # held while moto handles one AWS call

    def table_items(self, names: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Every item of these DynamoDB tables, as a Scan returns them, read from moto's memory between two calls.

        For the runner's snapshots: scanning 10,000 events over HTTP every 15 s spent seconds of the GIL in
        botocore and moto serialising each item, and held back redirects (97 a second instead of 135) and
        counting (27.6 s behind the last click instead of 6.8). Reading moto's items directly costs a fraction.
        """
        from moto.dynamodb.models import dynamodb_backends

        wanted, found = set(names), {}
        with self.calls:
            for regions in dynamodb_backends.values():
                for backend in regions.values():
                    for name, table in backend.tables.items():
                        if name in wanted:
                            found[name] = [item.to_json()["Attributes"] for item in table.all_items()]
        return found

    def _server_entry(self) -> None:
        # As ThreadedMotoServer._server_entry (moto 5.2), with the application wrapped.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = OneAtATime(DomainDispatcherApplication(create_backend_app), self.calls)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

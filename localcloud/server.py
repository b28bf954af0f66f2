"""The local cloud: one threaded HTTP server on loopback for every emulated protocol.

`LocalCloud` owns the state and builds the `Context` every protocol module receives, wiring in the
hooks by which they reach one another (EventBridge publishing, Log Service appends, FC invocations).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from localcloud import debug, eventbridge, fc, fc3, pipeline, pop, sls
from localcloud import services as _services  # noqa: F401  (registers every RPC operation)
from localcloud.context import Context
from localcloud.deliveries import Deliveries
from localcloud.faults import Faults
from localcloud.requestlog import RequestLog
from localcloud.seed import load_seed
from localcloud.state import Cloud
from localcloud.wire import HttpRequest, HttpResponse

log = logging.getLogger("localcloud")

# Asked in this order; POP takes whatever the others do not.
PROTOCOLS: tuple[pipeline.Protocol[Any], ...] = (sls.LOG_SERVICE, fc.FUNCTION_COMPUTE, fc3.FUNCTION_COMPUTE_3, pop.POP)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the 40 ms delayed-ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = HttpRequest(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            body,
            self.client_address[0],
        )
        try:
            response = self.server.cloud.route(request)
        except Exception as crash:  # an emulator bug must be loud, not a hung client
            log.exception("localcloud crashed on %s %s", self.command, self.path)
            response = HttpResponse.json(500, {"Code": "InternalError", "Message": f"localcloud bug: {crash!r}"})
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the stdlib default of 5 refuses bursts of concurrent clients

    def __init__(self, address: tuple[str, int], cloud: LocalCloud) -> None:
        self.cloud = cloud
        super().__init__(address, _Handler)


class LocalCloud:
    """A running local cloud. Use as a context manager or call `close()`."""

    def __init__(self, cloud: Cloud | None = None, *, port: int = 0, fault_seed: int = 0) -> None:
        self.cloud = cloud or Cloud()
        self.requests = RequestLog()
        self.faults = Faults(fault_seed)
        self.deliveries = Deliveries()
        self._server = _Server(("127.0.0.1", port), self)
        self.context = Context(self.cloud, self.requests, self.faults, self.deliveries, self.url)
        self.context.publish = partial(eventbridge.publish, self.context)
        self.context.append_logs = partial(sls.append_logs, self.context)
        self.context.invoke = partial(fc.invoke, self.context)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="localcloud", daemon=True
        )
        self._thread.start()

    @classmethod
    def from_seed(cls, path: str | Path | None, *, port: int = 0) -> LocalCloud:
        cloud, fault_seed, rules = load_seed(path)
        instance = cls(cloud, port=port, fault_seed=fault_seed)
        instance.faults.configure(rules)
        return instance

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """`127.0.0.1:PORT`, the form a POP SDK `Config(endpoint=..., protocol="http")` wants."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def route(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith("/_localcloud/"):
            return debug.handle(self.context, request)
        protocol = next(p for p in PROTOCOLS if p.accepts(request))
        return pipeline.serve(self.context, protocol, request)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Waits until every trigger delivery (EventBridge, Log Service) has been made."""
        return self.deliveries.wait_idle(timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.deliveries.close()

    def __enter__(self) -> LocalCloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

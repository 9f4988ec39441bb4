"""What the loopback fakes of Google and Microsoft share: real HTTPS on 127.0.0.1.

``HttpsFake`` is the base of ``FakeGoogle`` and ``FakeMicrosoft``: a throw-away ``trustme``
CA written to ``ca_path``, a threading server on an ephemeral port (``root``) that hands
every request to ``serve``, start/stop and the context manager, the request log, and the
faults, hooks and lost answers a test arranges. Each fake supplies ``serve`` and its own
error bodies.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

import trustme

Query = dict[str, list[str]]
"""Query parameters as ``urllib.parse.parse_qs`` returns them."""


@dataclass
class Response:
    """An HTTP response as the fake hands it to the socket layer."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), if any."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class LoggedRequest(Protocol):
    """What the request log keeps of a request, whatever else a fake records."""

    @property
    def method(self) -> str:
        """The HTTP method."""
        ...

    @property
    def path(self) -> str:
        """The path, unquoted, with its leading ``/``."""
        ...


RequestT = TypeVar("RequestT", bound=LoggedRequest)


@dataclass
class Fault:
    """An answer a test arranged for the next ``remaining`` requests under ``prefix``."""

    prefix: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    remaining: int
    method: str | None
    param: str | None = None

    def matches(self, method: str, rel: str, query: Query) -> bool:
        """Whether a request is one this fault answers."""
        return _matches(self.prefix, self.method, self.param, method, rel, query)


@dataclass
class Hook:
    """An action a test arranged to run just before the next request under ``prefix``."""

    prefix: str
    method: str | None
    action: Callable[[], object]
    param: str | None = None

    def matches(self, method: str, rel: str, query: Query) -> bool:
        """Whether a request is one this hook runs before."""
        return _matches(self.prefix, self.method, self.param, method, rel, query)


def _matches(
    prefix: str, method: str | None, param: str | None, got: str, rel: str, query: Query
) -> bool:
    return rel.startswith(prefix) and method in (None, got) and (param is None or param in query)


class HttpsFake(Generic[RequestT]):
    """A fake service over real HTTPS on 127.0.0.1; use as a context manager (or
    ``start()``/``stop()``). Subclasses answer requests in ``serve``."""

    _tempdir_prefix = "fake-"
    _fault_content_type = "application/json"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self._tempdir: Path | None = None
        self.root = ""
        self.ca_path = ""
        self._closers: list[Callable[[], None]] = []
        self._init_log()

    def _init_log(self) -> None:
        """Forget the request log, faults, hooks and lost answers."""
        self._requests: list[RequestT] = []
        self._forbidden: list[RequestT] = []
        self._unknown: list[RequestT] = []
        self._errors: list[str] = []
        self._faults: list[Fault] = []
        self._hooks: list[Hook] = []
        self._lost_answers: list[Hook] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Create the CA and certificate, bind an ephemeral port and serve in a thread."""
        if self._server is not None:
            return self
        self._tempdir = Path(tempfile.mkdtemp(prefix=self._tempdir_prefix))
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_file = self._tempdir / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        server = _HttpsServer(("127.0.0.1", 0), _Handler, self.serve, context)
        self._server = server
        self.ca_path = str(ca_file)
        self.root = f"https://127.0.0.1:{server.server_address[1]}/"
        self._started()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def _started(self) -> None:
        """Called once ``root`` is known, before the first request is served."""

    def stop(self) -> None:
        """Stop serving, close every open connection and remove the CA file."""
        closers, self._closers = self._closers, []
        for close in closers:
            with contextlib.suppress(Exception):
                close()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_all_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def serve(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request (called from the server threads)."""
        raise NotImplementedError

    # --------------------------------------------------------- request log

    @property
    def requests(self) -> list[RequestT]:
        """Every request received so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def forbidden_calls(self) -> list[RequestT]:
        """Attempts to send mail or to write the calendar (answered 403)."""
        with self._lock:
            return list(self._forbidden)

    @property
    def unknown_calls(self) -> list[RequestT]:
        """Requests to paths or methods the fake does not implement (answered 400/404)."""
        with self._lock:
            return list(self._unknown)

    @property
    def server_errors(self) -> list[str]:
        """Tracebacks of bugs in the fake itself (answered 500)."""
        with self._lock:
            return list(self._errors)

    def count(self, prefix: str = "", method: str | None = None) -> int:
        """How many requests went to a path starting with ``prefix`` (see ``_prefix``)."""
        wanted = self._prefix(prefix)
        with self._lock:
            return sum(
                1
                for r in self._requests
                if r.path.lstrip("/").startswith(wanted) and method in (None, r.method)
            )

    def clear_log(self) -> None:
        """Forget the request log and the forbidden/unknown call lists."""
        with self._lock:
            self._requests.clear()
            self._forbidden.clear()
            self._unknown.clear()

    def wait_for(
        self, prefix: str, count: int = 1, timeout: float = 5.0, method: str | None = None
    ) -> bool:
        """Block until ``count(prefix, method) >= count``; false on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count(prefix, method) >= count, timeout)

    def _log(self, request: RequestT) -> None:
        """Record a request and wake ``wait_for`` (the caller holds the lock)."""
        self._requests.append(request)
        self._changed.notify_all()

    def _prefix(self, prefix: str) -> str:
        """A path prefix as the request log compares it: relative to ``root``."""
        return prefix.lstrip("/")

    # --------------------------------------------------------------- faults

    def fail_next(
        self,
        path_prefix: str,
        status: int,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: Mapping[str, Any] | bytes | str | None = None,
        times: int = 1,
        method: str | None = None,
        with_param: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with ``status``.

        ``body`` defaults to the service's own error for the status (``_fault_body``).
        ``with_param`` limits the fault to requests carrying that query parameter: the
        pages after the first of a listing.
        """
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        prefix = self._prefix(path_prefix)
        if body is None:
            raw = self._fault_body(prefix, status)
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k, _ in pairs):
            pairs.append(("Content-Type", self._fault_content_type))
        with self._lock:
            self._faults.append(Fault(prefix, status, pairs, raw, times, method, with_param))

    def _fault_body(self, prefix: str, status: int) -> bytes:
        """The service's error body for a fault at ``prefix`` answering ``status``."""
        raise NotImplementedError

    def before_next(
        self,
        path_prefix: str,
        action: Callable[[], object],
        method: str | None = None,
        with_param: str | None = None,
    ) -> None:
        """Run ``action`` (what the user or the world does between two requests of a client)
        when the next request under ``path_prefix`` arrives, just before it is answered,
        once. ``with_param`` waits for a request carrying that query parameter: between two
        pages of a listing."""
        with self._lock:
            self._hooks.append(Hook(self._prefix(path_prefix), method, action, with_param))

    def lose_next_answer(self, path_prefix: str, method: str | None = None) -> None:
        """Carry out the next request under ``path_prefix``, then answer 503 instead of the
        result, once: a request that took effect although its client saw it fail."""
        with self._lock:
            self._lost_answers.append(Hook(self._prefix(path_prefix), method, lambda: None))

    def _lose_answer(self, request: RequestT, response: Response) -> Response:
        rel = request.path.lstrip("/")
        for lost in list(self._lost_answers):
            if rel.startswith(lost.prefix) and lost.method in (None, request.method):
                self._lost_answers.remove(lost)
                return self._lost_answer()
        return response

    def _lost_answer(self) -> Response:
        """The service's 503 in place of an answer that was lost."""
        raise NotImplementedError

    def _run_hooks(self, method: str, rel: str, query: Query, *, every: bool) -> None:
        """Run the hook the request matches (``every``: each one it matches), once."""
        for hook in list(self._hooks):
            if hook.matches(method, rel, query):
                self._hooks.remove(hook)
                hook.action()
                if not every:
                    return

    def _take_fault(self, method: str, rel: str, query: Query) -> Response | None:
        for fault in self._faults:
            if fault.matches(method, rel, query):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return Response(fault.status, fault.body, list(fault.headers))
        return None


# ============================================================== server


class _HttpsServer(ThreadingHTTPServer):
    """A threading HTTP server whose accepted sockets speak TLS (handshake in the worker)."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        respond: Callable[[str, str, Message, bytes], Response],
        context: ssl.SSLContext,
    ) -> None:
        self.respond = respond
        self.context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle/delayed-ACK stalls
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._connections_lock:
            self._connections.add(wrapped)
        return wrapped, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        """Unblock keep-alive connections still waiting for a next request."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up or failing the TLS handshake are not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _HttpsServer

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        response = self.server.respond(self.command, self.path, self.headers, body)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve a PUT."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve a PATCH."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve a DELETE."""
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a fake's request log is its ``requests``."""

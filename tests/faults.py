"""A loopback HTTP proxy in front of the S3 test server that can answer 503 on purpose.

Used to put real storage faults between the worker and the bucket: requests
go over real sockets, boto3 sees a real ``503 SlowDown``, and nothing in the
application is patched.
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
)


class FaultyProxy:
    """Forwards to ``127.0.0.1:target_port``; fails ``failures`` requests whose
    method is ``method`` and whose path contains ``path_part``, then forwards
    the rest. ``injected`` counts the failed requests."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.method = "GET"
        self.path_part = ""
        self.failures = 0
        self.injected = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy._should_fail(self.command, self.path):
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(ERROR_BODY)))
                    self.end_headers()
                    self.wfile.write(ERROR_BODY)
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in {"transfer-encoding", "connection", "content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail(self, method: str, path_part: str, failures: int) -> None:
        with self._lock:
            self.method, self.path_part, self.failures, self.injected = method, path_part, failures, 0

    def _should_fail(self, method: str, path: str) -> bool:
        with self._lock:
            if self.failures > 0 and method == self.method and self.path_part in path:
                self.failures -= 1
                self.injected += 1
                return True
            return False

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

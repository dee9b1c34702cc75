"""A loopback publisher for download tests: serves ``files[path]`` over HTTP at 127.0.0.1,
honouring ``Range: bytes=N-`` (206) unless told not to, with an ``ETag`` and ``Last-Modified``
per file, and a script of answers per path to simulate what real servers do."""

import contextlib
import hashlib
import http.server
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator


class Scripted(http.server.BaseHTTPRequestHandler):
    """Serves ``files[path]`` (bytes, or a function of the query's parameters returning them, an
    API). ``script[path]`` is a list of answers used one per request before the file is served
    plainly: ``(status, headers)`` (an error page, or the file with those headers) or
    ``(status, headers, body)``, ``"drop"`` (half of what is asked, declaring all of it, then
    close) or ``("drop", n)`` (only ``n`` bytes). ``ignore_range`` paths answer 200 with the whole
    file to a Range request, ``ignore_if_range`` paths serve the Range whatever ``If-Range`` says.
    Every request is recorded as (path, Range header, If-Range header)."""

    files: dict = {}
    script: dict = {}
    ignore_range: set = set()
    ignore_if_range: set = set()
    requests: list = []
    active = 0
    peak = 0
    delay_s = 0.05
    lock = threading.Lock()

    def do_GET(self):
        cls = type(self)
        with cls.lock:
            cls.requests.append((self.path, self.headers.get("Range"), self.headers.get("If-Range")))
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
        try:
            self._answer()
        finally:
            with cls.lock:
                cls.active -= 1

    def _answer(self):
        time.sleep(self.delay_s)
        path, _, query = self.path.partition("?")
        body = self.files.get(path)
        if callable(body):
            body = body({name: values[0] for name, values in urllib.parse.parse_qs(query).items()})
        queued = self.script.get(path) or []
        step = queued.pop(0) if queued else None
        if body is None:
            self.send_error(404, "Not Found")
            return
        if isinstance(step, tuple) and isinstance(step[0], int):
            status, headers, *page = step
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            payload = page[0] if page else b"<!DOCTYPE html><html><body>busy</body></html>" if status >= 400 else body
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        asked = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "bytes=0-")
        validator = self.headers.get("If-Range")
        honoured = validator in (None, etag) or path in self.ignore_if_range
        start = int(asked.group(1)) if path not in self.ignore_range and honoured else 0
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("ETag", etag)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        sent = body[start:]
        if step == "drop":
            sent = sent[: len(sent) // 2]
        elif isinstance(step, tuple):
            sent = sent[: step[1]]
        self.wfile.write(sent)
        self.close_connection = True

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def publisher(files: dict | None = None) -> Iterator[tuple[type[Scripted], str]]:
    """A running loopback publisher of ``files`` (path -> bytes; more may be added to
    ``handler.files``): the handler class (its files, script and requests) and the base URL."""
    handler = type(
        "Publisher",
        (Scripted,),
        {
            "files": dict(files or {}),
            "script": {},
            "ignore_range": set(),
            "ignore_if_range": set(),
            "requests": [],
            "lock": threading.Lock(),
        },
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

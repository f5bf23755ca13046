"""A tiny local HTTP server for the browser's pure modules (lenet/web/*.js) and their test cases.

Only the URL prefixes it is given are served, each from its own folder; everything else is 404. The browser
tests and bench/live_forward.py load ES modules from it, as the app serves them, with nothing from outside.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from pathlib import Path
from typing import ClassVar


@contextlib.contextmanager
def static_server(routes: dict[str, Path]):
    """Serve each URL prefix ("/lenet/web/") from its folder on 127.0.0.1; yields the base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map: ClassVar[dict[str, str]] = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".mjs": "text/javascript",
            ".js": "text/javascript",
        }

        def translate_path(self, path: str) -> str:
            path = path.split("?", 1)[0]
            for prefix, folder in routes.items():
                if path.startswith(prefix) and ".." not in path:
                    return str(Path(folder) / path[len(prefix) :])
            return "/nonexistent"

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

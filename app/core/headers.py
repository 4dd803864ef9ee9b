"""Security headers of every answer, set in one place so that no route can forget them.

- ``X-Content-Type-Options: nosniff`` everywhere: a browser never guesses that an uploaded
  "photo" is HTML (attachments are also sent as downloads, ``Content-Disposition: attachment``).
- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` everywhere: no page of ours,
  the interactive docs included, can be framed for click-jacking. API answers also get
  ``default-src 'none'``: a JSON or problem document opened as a page runs nothing. The docs'
  pages keep a CSP of their own if they set one.
- ``Cache-Control: no-store`` (and ``Pragma: no-cache``, which RFC 6749 asks of token
  answers) on every answer but the documentation's: tokens and personal data are kept by no
  browser or proxy cache. A route that sets ``Cache-Control`` itself keeps its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = "frame-ancestors 'none'"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


_DOCS_HEADERS = {**ALWAYS, "Content-Security-Policy": DOCS_CSP}
_API_HEADERS = {**ALWAYS, "Content-Security-Policy": API_CSP, **NO_STORE}


def for_path(path: str, *, docs_paths: frozenset[str] = frozenset()) -> dict[str, str]:
    """The headers an answer to ``path`` carries (a route's own CSP or Cache-Control wins);
    built once, not per request: callers only read them."""
    return _DOCS_HEADERS if path in docs_paths else _API_HEADERS


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(p for p in docs_paths if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = for_path(scope["path"], docs_paths=self.docs_paths)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name in ALWAYS or (name not in headers and name != "Pragma"):
                        headers[name] = value
                # Pragma only beside no-store: a route that chose to be cached is not no-cache.
                if headers.get("Cache-Control") == "no-store":
                    headers.setdefault("Pragma", "no-cache")
            await send(message)

        await self.app(scope, receive, send_with_headers)

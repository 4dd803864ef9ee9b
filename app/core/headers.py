"""Security headers of every answer, set in one place so that no route can forget them.

- ``X-Content-Type-Options: nosniff`` everywhere: a browser never guesses that an uploaded
  "photo" is HTML (attachments are also sent as downloads, ``Content-Disposition: attachment``).
- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` everywhere: no page of ours,
  the interactive docs included, can be framed for click-jacking. API answers also get
  ``default-src 'none'``: a JSON or problem document opened as a page runs nothing. The docs
  (app.core.docs: pages, assets, the OpenAPI document) load from this origin only: their own
  scripts plus the pages' inline start-up snippet, inline styles (both UIs set them), images
  from here or ``data:`` (Swagger UI's icons), ReDoc's search worker from a ``blob:``. A page
  that sets a CSP of its own keeps it.
- ``Cache-Control: no-store`` (and ``Pragma: no-cache``, which RFC 6749 asks of token
  answers) on every answer but the documentation's: tokens and personal data are kept by no
  browser or proxy cache. A route that sets ``Cache-Control`` itself keeps its own (the docs'
  versioned assets are kept for a year).
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
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


_DOCS_HEADERS = {**ALWAYS, "Content-Security-Policy": DOCS_CSP}
_API_HEADERS = {**ALWAYS, "Content-Security-Policy": API_CSP, **NO_STORE}


def for_path(
    path: str, *, docs_paths: frozenset[str] = frozenset(), docs_prefixes: tuple[str, ...] = ()
) -> dict[str, str]:
    """The headers an answer to ``path`` carries (a route's own CSP or Cache-Control wins);
    built once, not per request: callers only read them."""
    if path in docs_paths or path.startswith(docs_prefixes):
        return _DOCS_HEADERS
    return _API_HEADERS


class SecurityHeadersMiddleware:
    """``docs_paths``: the documentation's paths; one that ends in ``/`` covers every path
    under it (the docs' assets)."""

    def __init__(self, app: ASGIApp, *, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        named = [p for p in docs_paths if p]
        self.docs_paths = frozenset(p for p in named if not p.endswith("/"))
        self.docs_prefixes = tuple(p for p in named if p.endswith("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = for_path(
            scope["path"], docs_paths=self.docs_paths, docs_prefixes=self.docs_prefixes
        )

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

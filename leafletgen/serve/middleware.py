"""ASGI middleware of the server: a bound on request bodies, and the token guard (access.py)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from leafletgen.serve.access import Tokens

#: Paths anyone may read, tokens or not: the API's documentation and the page's style and script.
OPEN_PATHS = ("/docs", "/openapi.json", "/static/")


def json_error(status: int, code: str, message: str, *, error: str | None = None, detail: Any = None,
               headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An error as JSON: ``code`` and ``message`` (plain), ``error`` and ``detail`` (as before, technical)."""
    body: dict[str, Any] = {"code": code, "message": message, **extra, "error": error or message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, headers=headers)


class Guard:
    """ASGI middleware: with tokens, every request but :data:`OPEN_PATHS` needs a valid one.

    The client's name (its token's, else its address) is put in ``scope["state"]["client"]``,
    where the rate limit finds it.
    """

    def __init__(self, app: Any, tokens: Tokens | None) -> None:
        self.app, self.tokens = app, tokens

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        name = f"address {client[0]}" if client else "unknown"
        path = str(scope.get("path", ""))
        if self.tokens is not None and not path.startswith(OPEN_PATHS):
            headers = dict(scope.get("headers") or [])
            found = self.tokens.client(headers.get(b"authorization", b"").decode("latin-1"))
            if found is None:
                scheme = "Bearer" if path.startswith("/api/") else "Basic"  # a browser asks for it once
                await json_error(401, "unauthorized", "This server needs an access token: send it as "
                                 "'Authorization: Bearer TOKEN' (ask whoever runs the server for one).",
                                 headers={"WWW-Authenticate": f'{scheme} realm="leafletgen", charset="UTF-8"'}
                                 )(scope, receive, send)
                return
            name = f"token {found}"
        scope.setdefault("state", {})["client"] = name
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes, declared or streamed (chunked)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length and (not length.isdigit() or int(length) > self.limit):
            await _too_large(self.limit)(scope, receive, send)
            return
        # Read the whole (small) body first, so a streamed body over the limit never reaches the app.
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await _too_large(self.limit)(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)



def _too_large(limit: int) -> JSONResponse:
    return json_error(413, "too_large", f"The request is too large: at most {limit // 1024} KB.",
                      error=f"request body larger than {limit} bytes")

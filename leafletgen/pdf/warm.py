"""A render process started before it is needed, for the one-PDF build at the counter.

Importing WeasyPrint and loading fontconfig take ~0.45 s, close to half the time of
building one leaflet. For a build that can produce only one PDF, the command line
forks this process first thing. While it imports WeasyPrint on a second core, the
main process imports the rest, validates, runs the warnings gate and renders the
HTML. Then it sends the HTML over and gets the PDF bytes back; writing the file stays
with the build. Nothing to render (the PDF is current, or the locale was refused):
the process is killed. With one core it is not started, as the two would only take turns.

Requests and answers are pickled over two pipes; the process never returns into the
caller's code (``os._exit``), so a fork of a test runner or a server stays harmless.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import traceback
from pathlib import Path
from typing import BinaryIO

from leafletgen.errors import Problem, RenderError


class WarmRenderer:
    """A forked process that renders HTML to PDF bytes (see pdf.render_pdf) on request."""

    def __init__(self, pid: int, requests: BinaryIO, answers: BinaryIO) -> None:
        self.pid = pid
        self._requests = requests
        self._answers = answers
        self._closed = False

    @classmethod
    def start(cls) -> WarmRenderer | None:
        """Fork the process (it starts importing WeasyPrint at once); None on a single core."""
        if (os.cpu_count() or 1) < 2:
            return None
        request_r, request_w = os.pipe()
        answer_r, answer_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (coverage does not follow forks)
            os.close(request_w)
            os.close(answer_r)
            status = 0
            try:
                _serve(os.fdopen(request_r, "rb"), os.fdopen(answer_w, "wb"))
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(request_r)
        os.close(answer_w)
        return cls(pid, os.fdopen(request_w, "wb"), os.fdopen(answer_r, "rb"))

    def render_pdf(self, html: str, *, base_dir: Path, name: str) -> bytes:
        """The same as pdf.render_pdf, done by the warm process."""
        try:
            pickle.dump((html, base_dir, name), self._requests, protocol=pickle.HIGHEST_PROTOCOL)
            self._requests.flush()
            status, payload = pickle.load(self._answers)
        except (OSError, EOFError, pickle.UnpicklingError):
            raise RenderError(Problem(name, "", "the render process died (out of memory or killed)")) from None
        if status == "ok":
            return bytes(payload)
        if status == "error":
            raise RenderError([Problem(*p) for p in payload])
        raise RuntimeError(f"the render process failed:\n{payload}")  # a bug: show its traceback

    def close(self) -> None:
        """Stop the process: at once, it may be importing WeasyPrint still. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for stream in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)

    def __enter__(self) -> WarmRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:  # pragma: no cover - runs in the child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    from leafletgen.errors import LeafletError
    try:
        from leafletgen.pdf.engine import render_pdf, warm_up

        warm_up()
        broken = ""
    except Exception:  # e.g. Pango missing: said in answer to the first request, not lost
        broken = traceback.format_exc()
    while True:
        try:
            html, base_dir, name = pickle.load(requests)
        except EOFError:
            return
        answer: tuple[str, object]
        try:
            answer = ("bug", broken) if broken else ("ok", render_pdf(html, base_dir=base_dir, name=name))
        except LeafletError as exc:
            answer = ("error", [(p.file, p.where, p.reason) for p in exc.problems])
        except Exception:
            answer = ("bug", traceback.format_exc())
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()

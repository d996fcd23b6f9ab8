"""Worker processes that never outlive the process that started them.

Both the build and the server render in a :class:`ProcessPoolExecutor` (fork, so the
workers inherit WeasyPrint and fontconfig already loaded). Two things the standard
library leaves to us:

- A worker must die with its parent. If the build is killed (SIGKILL, SIGTERM), an
  orphaned worker would go on rendering and write PDFs nobody asked for any more.
  Linux's ``PR_SET_PDEATHSIG`` has the kernel send SIGKILL to each worker when its
  parent dies; the parent pid is checked after setting it, to close the race.
- Stopping a pool at once. ``shutdown(cancel_futures=True)`` still waits for running
  renders; :func:`stop_now` kills them (Python 3.14 adds ``terminate_workers()`` for
  this; until then the executor's process table is the only handle).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def start_pool(workers: int) -> ProcessPoolExecutor:
    """A forked pool whose workers die with this process."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and kill what is running; returns without waiting for renders."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, AttributeError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.join(timeout=5)

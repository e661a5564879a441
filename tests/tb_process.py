"""Run the real ``tensorboard`` CLI in a test, on 127.0.0.1, and talk to it.

Small reusable API (pytest puts ``tests/`` on ``sys.path``, so import it by module name)::

    from tb_process import http_get, tensorboard_process, wait_until

    with tensorboard_process(logdir, "--load_fast=false") as base_url:
        wait_until(lambda: "tb_attrib" in http_get(base_url + "/data/plugins_listing").json())
        response = http_get(base_url + "/data/plugin/tb_attrib/runs")
        assert response.status == 200

- :func:`tensorboard_process` starts the ``tensorboard`` script that sits beside the running
  Python (the project's ``.venv/bin``) with ``--host 127.0.0.1 --port 0``, reads the port it
  chose from its log, waits until it answers HTTP, yields ``http://127.0.0.1:<port>`` (no
  trailing slash) and stops the process group it started (TensorBoard plus its Rust data
  server child) by PID when the block exits. Every wait is bounded.
- :func:`http_get` is a GET that never raises on HTTP error statuses and never uses a proxy.
- :func:`wait_until` polls a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TENSORBOARD = Path(sys.executable).parent / "tensorboard"
# "TensorBoard 2.21.0 at http://127.0.0.1:PORT/ (Press CTRL+C to quit)", with any
# --path_prefix between the port and the final slash: the base URL keeps the prefix.
_URL = re.compile(rb"TensorBoard \S+ at (http://127\.0\.0\.1:\d+\S*?)/ ")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclasses.dataclass(frozen=True)
class Response:
    """An HTTP answer: status code, headers (case-insensitive lookups) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Header ``name`` regardless of case, or None."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> object:
        """The body parsed as JSON."""
        return json.loads(self.body)


def http_get(url: str, *, timeout: float = 30.0) -> Response:
    """GETs ``url`` without a proxy; 4xx/5xx answers are returned, not raised."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Response(answer.status, dict(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, dict(e.headers.items()), e.read())


def wait_until(
    condition: Callable[[], T], *, timeout: float = 60.0, interval: float = 0.2, what: str = ""
) -> T:
    """Calls ``condition`` until it returns something truthy, and returns that value.

    Exceptions from ``condition`` count as "not yet". Raises TimeoutError after ``timeout``
    seconds, naming ``what`` and the last exception, if any.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # polled conditions may fail while starting
            last_error = e
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"timed out after {timeout:.0f}s waiting for {what or condition!r}"
                + (f" (last error: {last_error!r})" if last_error else "")
            )
        time.sleep(interval)


@contextlib.contextmanager
def tensorboard_process(
    logdir: str | os.PathLike,
    *extra_args: str,
    timeout: float = 120.0,
    executable: str | os.PathLike = TENSORBOARD,
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Runs ``tensorboard --logdir logdir *extra_args`` on 127.0.0.1; yields its base URL.

    Args:
      logdir: Log directory to serve.
      *extra_args: Further CLI flags, e.g. ``"--load_fast=false"``, ``"--reload_interval=1"``.
      timeout: Seconds to wait for TensorBoard to start answering.
      executable: The ``tensorboard`` to run (default: this venv's).
      env: Variables set in TensorBoard's environment on top of this process's (default:
        none), e.g. ``{"PYTHONPATH": dir}`` to serve another copy of ``tb_attrib``.

    Raises:
      RuntimeError: TensorBoard exited or did not answer in time (its log is in the message).
    """
    with tempfile.TemporaryDirectory(prefix="tb_process_") as tmp:
        log_path = Path(tmp) / "tensorboard.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    str(executable),
                    "--logdir",
                    str(logdir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    *extra_args,
                ],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: TensorBoard + data server
                env={**os.environ, **env} if env else None,
            )
        try:
            base_url = _wait_for_start(process, log_path, timeout)
            yield base_url
        finally:
            _stop(process)


def _wait_for_start(process: subprocess.Popen, log_path: Path, timeout: float) -> str:
    def started() -> str | None:
        if process.poll() is not None:
            raise RuntimeError("exited")
        match = _URL.search(log_path.read_bytes())
        if match is None:
            return None
        url = match.group(1).decode()
        return url if http_get(url + "/data/environment", timeout=5).status == 200 else None

    try:
        return wait_until(started, timeout=timeout, what="TensorBoard to answer")
    except TimeoutError as e:
        tail = log_path.read_bytes()[-4000:].decode(errors="replace")
        code = process.poll()
        raise RuntimeError(f"tensorboard did not start ({e}; exit code {code}):\n{tail}") from None


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group we created, then SIGKILL if it lingers.

    The group holds TensorBoard and its Rust data server (which also exits on its own once
    TensorBoard closes its stdin).
    """
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdin:
        process.stdin.close()

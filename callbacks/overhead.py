"""What a callback costs: its seconds per written epoch and its share of the epoch.

Each tb_attrib callback times its own end-of-epoch work against the epoch's training time
(from its ``on_epoch_begin`` to its ``on_epoch_end``), writes both as scalars every written
epoch (``overhead/<callback>/seconds_per_epoch`` and ``.../share_of_epoch``), and once per
``fit``, after the first written epoch that does not compile anything (the fit's first one
traces or jits the functions), says so through Keras's output unless ``verbose=0``, naming
``freq`` when the share is above :data:`HIGH_SHARE`.
"""

from __future__ import annotations

import dataclasses
import time

HIGH_SHARE = 0.10
"""Above this share of an epoch, the report suggests a larger ``freq``."""


@dataclasses.dataclass
class OverheadMeter:
    """Per-fit timing state of one callback (reset in ``on_train_begin``)."""

    name: str
    epoch_started: float | None = None
    written: int = 0
    first_seconds: float | None = None
    reported: bool = False

    def start_epoch(self) -> None:
        self.epoch_started = time.perf_counter()

    def measure(self, work_started: float, work_ended: float) -> tuple[float, float]:
        """``(seconds of work, share of the epoch)`` of one written epoch."""
        seconds = work_ended - work_started
        started = work_started if self.epoch_started is None else self.epoch_started
        training = work_started - started
        share = seconds / max(training + seconds, 1e-9)
        self.written += 1
        if self.first_seconds is None:
            self.first_seconds = seconds
        return seconds, share

    def report(self, seconds: float, share: float, freq: int) -> str | None:
        """The once-per-fit message, at the second written epoch (the first compiles)."""
        if self.reported or self.written < 2:
            return None
        self.reported = True
        message = (
            f"tb_attrib {self.name}: {seconds:.2f} s per written epoch, {share:.1%} of the "
            f"epoch (the first, which compiles, took {self.first_seconds:.2f} s)"
        )
        if share > HIGH_SHARE:
            message += (
                f"; to spend less, write every few epochs: freq={max(2, freq * 3)} "
                f"(now freq={freq})"
            )
        return message

    def scalars(self, seconds: float, share: float) -> dict[str, float]:
        prefix = f"overhead/{self.name}"
        return {f"{prefix}/seconds_per_epoch": seconds, f"{prefix}/share_of_epoch": share}

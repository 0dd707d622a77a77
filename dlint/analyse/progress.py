"""Live build progress on stderr: one line rewritten in place on a terminal, plain lines otherwise.

On a terminal a ticker thread redraws the line every quarter second, so the
elapsed time moves while a long RUN prints nothing. Plain output (CI logs,
pipes) gets one line per step start and per step end, nothing rewritten.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from typing import TextIO

from dlint.analyse.steps import StepRecord
from dlint.output import clipped, printable

TICK = 0.25


class Progress:
    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.lock = threading.Lock()
        self.running: dict[int, tuple[StepRecord, str, float]] = {}  # by id(step): parallel BuildKit steps
        self.drawn = 0
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None
        if self.live:
            self.ticker = threading.Thread(target=self._tick, name="dlint-progress", daemon=True)
            self.ticker.start()

    def step_started(self, step: StepRecord, position: str) -> None:
        with self.lock:
            self.running[id(step)] = (step, position, time.monotonic())
            if self.live:
                self._draw()
            else:
                self._write(f"[{position}] {self._where(step)}\n")

    def step_finished(self, step: StepRecord) -> None:
        with self.lock:
            entry = self.running.pop(id(step), None)
            if self.live:
                self._draw()
            elif entry is not None:
                self._write(f"[{entry[1]}] {step.cache_state} {step.seconds:.1f}s\n")

    def close(self) -> None:
        self.stop.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            if self.live and self.drawn:
                self._write("\r" + " " * self.drawn + "\r")
                self.drawn = 0

    def _tick(self) -> None:
        while not self.stop.wait(TICK):
            with self.lock:
                if self.running:
                    self._draw()

    def _draw(self) -> None:
        if not self.running:
            text = ""
        else:
            step, position, started = next(reversed(self.running.values()))
            more = f" (+{len(self.running) - 1} running)" if len(self.running) > 1 else ""
            text = f"[{position}] {self._where(step)} {time.monotonic() - started:.1f}s{more}"
        width = max(shutil.get_terminal_size().columns - 1, 20)
        text = clipped(text, width)
        # Padding wipes the rest of a longer previous line; an empty line leaves the cursor at column 0.
        self._write("\r" + text.ljust(self.drawn) + ("" if text else "\r"))
        self.drawn = len(text)

    @staticmethod
    def _where(step: StepRecord) -> str:
        """The step's line and instruction, escaped (output.printable): the Dockerfile's or the build log's
        words, whose ESC or `##[add-mask]` went raw to the terminal or the CI log."""
        return (f"line {step.line}: " if step.line else "") + printable(step.instruction)

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

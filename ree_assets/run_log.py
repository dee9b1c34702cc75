"""The loggers of ``python -m ree_assets.cli``: a short console view of a run and its full log in a file.

The console shows one line per finished step with a counter and its time (``[12/48]
ree_sensitivity 0.4 s``), a progress line every ``PROGRESS_EVERY`` seconds for a step still
running, warnings, failed checks and failed steps in full. Everything Dagster logs (DEBUG included)
goes to the file, in Dagster's own format; ``ree_assets.cli`` also sends what steps print to
stdout or stderr (dbt's output, library progress bars) there.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TextIO

import dagster as dg

#: Seconds between two progress lines of a step that is still running.
PROGRESS_EVERY = 10.0
FILE_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


def _event(record: logging.LogRecord) -> dg.DagsterEvent | None:
    """The Dagster event a log record carries (None for a plain ``context.log`` message)."""
    meta = getattr(record, "dagster_meta", None)
    return meta.get("dagster_event") if meta else None


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip().splitlines())


class ProgressHandler(logging.Handler):
    """Turns a run's Dagster events into the console lines described in the module docstring."""

    def __init__(self, total_steps: int, stream: TextIO, every: float):
        super().__init__(level=logging.DEBUG)
        self.total_steps, self.stream, self.every = total_steps, stream, every
        self.started: dict[str, tuple[int, float, threading.Event]] = {}  # step -> (number, start, done)
        self.count = 0

    def _print(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def _watch(self, step: str, started: float, done: threading.Event) -> None:
        """Print a progress line every ``self.every`` seconds until ``done`` is set."""
        while not done.wait(self.every):
            self._print(f"        {step} still running ({time.perf_counter() - started:.0f} s)")

    def _counter(self, number: int) -> str:
        width = len(str(self.total_steps))
        return f"[{number:>{width}}/{self.total_steps}]"

    def _finish(self, step: str) -> tuple[str, float]:
        number, started, done = self.started.pop(step)
        done.set()
        return self._counter(number), time.perf_counter() - started

    def emit(self, record: logging.LogRecord) -> None:
        event = _event(record)
        kind = event.event_type_value if event else None
        if kind == "STEP_START":
            self.count += 1
            started, done = time.perf_counter(), threading.Event()
            self.started[event.step_key] = (self.count, started, done)
            threading.Thread(target=self._watch, args=(event.step_key, started, done), daemon=True).start()
        elif kind == "STEP_SUCCESS":
            counter, seconds = self._finish(event.step_key)
            self._print(f"{counter} {event.step_key} {seconds:.1f} s")
        elif kind == "STEP_FAILURE":
            counter, seconds = self._finish(event.step_key)
            error = event.event_specific_data.error
            self._print(
                f"{counter} {event.step_key} FAILED after {seconds:.1f} s\n"
                + _indented(error.to_string() if error else record.getMessage())
            )
        elif kind == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
            check = event.event_specific_data
            name = f"{check.asset_key.to_user_string()}:{check.check_name}"
            detail = f": {check.description}" if check.description else ""
            self._print(f"    check {check.severity.value} failed: {name}{detail}")
        elif kind in (None, "ENGINE_EVENT", "RUN_FAILURE") and record.levelno >= logging.WARNING:
            meta = getattr(record, "dagster_meta", {}) or {}
            self._print(f"    {record.levelname.lower()}: {meta.get('orig_message', record.getMessage())}")

    def close(self) -> None:
        for _, _, done in self.started.values():
            done.set()
        super().close()


def _logger(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger


def progress_logger(console: TextIO) -> dg.LoggerDefinition:
    """The console logger of a run, writing to ``console``."""

    @dg.logger(
        config_schema={"total_steps": dg.Field(int, description="steps of the run (the counter's N)")},
        description="One console line per finished step with a counter; warnings and failures in full.",
    )
    def progress(init_context: dg.InitLoggerContext) -> logging.Logger:
        return _logger(
            f"ree_assets.progress.{init_context.run_id}",
            ProgressHandler(init_context.logger_config["total_steps"], console, PROGRESS_EVERY),
        )

    return progress


@dg.logger(
    config_schema={"path": dg.Field(str, description="the log file (created, appended to)")},
    description="Every Dagster log record of the run (DEBUG included) into a file.",
)
def file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    handler = logging.FileHandler(init_context.logger_config["path"], encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    return _logger(f"ree_assets.file.{init_context.run_id}", handler)


def with_run_loggers(job: dg.JobDefinition, log_path: str, console: TextIO) -> tuple[dg.JobDefinition, dict]:
    """``job`` with the console logger (on ``console``) and the file logger in place of Dagster's
    console logger, and the run config that sets them up."""
    run_config = {
        "loggers": {
            "progress": {"config": {"total_steps": len(job.nodes_in_topological_order)}},
            "file": {"config": {"path": log_path}},
        }
    }
    return job.with_logger_defs({"progress": progress_logger(console), "file": file_logger}), run_config

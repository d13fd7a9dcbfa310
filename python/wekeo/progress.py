"""Progress of large reads: tqdm where it is installed (tqdm.auto, so notebooks get a widget),
else one self-rewriting stderr line on a terminal, else nothing (logs and CI stay clean)."""
from __future__ import annotations

import sys
import threading
import time

#: Reads planned at fewer rows than this show no progress unless asked to.
AUTO_MIN_ROWS = 2_000_000


class _Line:
    """A stderr line rewritten at most every 0.2 s: rows and percent of the plan."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.n, self._last = total, desc, 0, 0.0

    def update(self, n: int) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last >= 0.2 or self.n >= self.total:
            self._last = now
            pct = f" {100 * self.n / self.total:5.1f}%" if self.total > 0 else ""
            sys.stderr.write(f"\r{self.desc}: {self.n:,} rows{pct}")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


class _Null:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


class Progress:
    """Thread-safe row counter shown as a bar; `enabled` None means "only for large reads"."""

    def __init__(self, total_rows: int, desc: str, enabled: bool | None = None):
        if enabled is None:
            enabled = total_rows >= AUTO_MIN_ROWS and (_in_notebook() or sys.stderr.isatty())
        self._lock = threading.Lock()
        self._bar = _make(total_rows, desc) if enabled else _Null()

    def update(self, rows: int) -> None:
        with self._lock:
            self._bar.update(rows)

    def close(self) -> None:
        with self._lock:
            self._bar.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _make(total: int, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Line(total, desc)
    return tqdm(total=total if total > 0 else None, desc=desc, unit=" rows", unit_scale=True)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and shell.get_ipython().__class__.__name__ == "ZMQInteractiveShell"
    except Exception:
        return False

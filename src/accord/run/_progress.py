"""Plain-text progress of a share: one line as each run starts and ends (for logs and pipes).

Inspect's own display needs a terminal; when there is none, a watcher thread reads the
headers of the logs Inspect writes into the run directory and reports each run's start
and end. It only reads files, so it cannot disturb the run.
"""

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from inspect_ai.log import read_eval_log

ProgressCallback = Callable[[str], None]
POLL_SECONDS = 1.0


@contextlib.contextmanager
def watching_progress(
    log_dir: Path, callback: ProgressCallback | None, metadata_key: str
) -> Iterator[None]:
    """Call `callback` with a line as each run's log in `log_dir` starts and finishes."""
    if callback is None:
        yield
        return
    watcher = _Watcher(log_dir, callback, metadata_key)
    thread = threading.Thread(target=watcher.loop, name="accord-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        watcher.stop.set()
        thread.join()
        watcher.poll()


class _Watcher:
    def __init__(self, log_dir: Path, callback: ProgressCallback, metadata_key: str) -> None:
        self.log_dir, self.callback, self.key = log_dir, callback, metadata_key
        self.stop = threading.Event()
        self.seen = {p: p.stat().st_mtime_ns for p in log_dir.glob("*.eval")}
        self.reported: dict[Path, str] = {}

    def loop(self) -> None:
        while not self.stop.wait(POLL_SECONDS):
            self.poll()

    def poll(self) -> None:
        for path in sorted(self.log_dir.glob("*.eval")):
            try:
                mtime = path.stat().st_mtime_ns
                if self.seen.get(path) == mtime:
                    continue
                header = read_eval_log(str(path), header_only=True)
            except Exception:  # a log being written; read it next time
                continue
            self.seen[path] = mtime
            tag = (header.eval.metadata or {}).get(self.key) or {}
            name = f"{tag.get('task_id')} x {tag.get('model_id')}"
            state = "started" if header.status == "started" else "finished"
            if self.reported.get(path) == state or not tag:
                continue
            self.reported[path] = state
            if state == "started":
                self.callback(f"started  {name}")
            else:
                self.callback(f"finished {name}: {header.status}")

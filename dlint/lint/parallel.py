"""`dlint check --jobs N`: a plan's files linted in N worker processes, results back in the plan's order.

Files are independent, so each worker runs runner.check_file on a chunk of them
(the same function as one process does: the output cannot differ). Workers are
forked where the platform forks safely (Linux: nothing to import again) and
spawned elsewhere. At most two chunks per worker are in flight, so however many
files there are, only a few chunks' results wait for an earlier one: memory stays
bounded. Standard input is read by this process, never by a worker. A worker that
dies (a crash in native code, the OOM killer) costs only the files it held: they
are checked again one at a time in a fresh pool, and a file that kills a worker
again gets an internal-error finding.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from dlint.lint.engine import RuleCrash
from dlint.lint.runner import WORKER, FileResult, Job, Plan, check_file, crash_finding

MAX_CHUNK = 64  # files per task: large enough that passing results costs little, small enough to share out
MIN_CHUNK = 4  # the last tasks: a file's result is not worth a round trip of its own
IN_FLIGHT = 2  # chunks per worker submitted ahead of the one being reported
DIED = "it ended abruptly (killed, or a crash in native code)"

_jobs: list[Job] = []  # each worker's copy of the plan's jobs, set once by _start


def check_in_workers(work: Plan, workers: int) -> Iterator[FileResult]:
    chunks = deque(_chunks(work.files, workers))
    pool = _pool(work.jobs, workers)
    pending: deque[tuple[list[tuple[str, int]], Future | None]] = deque()  # None: checked here (stdin)
    try:
        while chunks or pending:
            while chunks and len(pending) < IN_FLIGHT * workers:
                chunk = chunks.popleft()
                pending.append((chunk, None if chunk[0][0] == "-" else _submit(pool, chunk)))
            chunk, future = pending.popleft()
            if future is None:
                yield from (check_file(path, work.jobs[index]) for path, index in chunk)
                continue
            try:
                done = future.result()
            except BrokenProcessPool:  # every pending chunk is lost with the pool: resubmit them to a new one
                pool.shutdown(wait=False, cancel_futures=True)
                pool, done = _one_at_a_time(chunk, work.jobs, workers)
                pending = deque((c, f if f is None or _finished(f) else _submit(pool, c)) for c, f in pending)
            yield from done
        pool.shutdown(wait=True)  # the workers end before the run does: after main.py's os._exit they would wait forever
    except BaseException:  # Ctrl-C, or the reader went away: stop the workers now, not after their chunks
        _stop(pool)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _submit(pool: ProcessPoolExecutor, chunk: list[tuple[str, int]]) -> Future:
    """A worker may die between two submissions, and then submitting raises: the chunk's future fails
    as one submitted before would, and is handled the same way when its turn comes."""
    try:
        return pool.submit(_check, chunk)
    except BrokenProcessPool as exc:
        lost: Future = Future()
        lost.set_exception(exc)
        return lost


def _finished(future: Future) -> bool:
    """Done with a result: a chunk the broken pool had already answered need not be checked again."""
    return future.done() and not future.cancelled() and future.exception() is None


def _stop(pool: ProcessPoolExecutor) -> None:
    """Terminate the workers. One killed half-way through sending a result leaves the pool's manager thread
    waiting for the rest of it, and the interpreter waits for that thread at exit (a hang after Ctrl-C):
    once the workers are gone, closing this process's end of the result pipe turns the wait into an
    end-of-file, which the thread handles as a broken pool and ends."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    results = getattr(pool, "_result_queue", None)
    if results is not None:
        results._writer.close()


def _chunks(files: list[tuple[str, int]], workers: int) -> Iterator[list[tuple[str, int]]]:
    """Chunks that shrink as the files left do (a quarter of each worker's share of them, MIN_CHUNK at least):
    the last ones are small, so the workers finish close together, not one waiting for the other's long last
    chunk. Standard input on its own."""
    chunk: list[tuple[str, int]] = []
    left = len(files)
    for item in files:
        left -= 1
        if item[0] == "-":
            if chunk:
                yield chunk
            yield [item]
            chunk = []
            continue
        chunk.append(item)
        if len(chunk) >= max(MIN_CHUNK, min(MAX_CHUNK, (left + len(chunk)) // (workers * 4))):
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _one_at_a_time(
    chunk: list[tuple[str, int]], jobs: list[Job], workers: int
) -> tuple[ProcessPoolExecutor, list[FileResult]]:
    """A lost chunk's files, each alone in a worker, so the one that kills it is known."""
    pool = _pool(jobs, workers)
    done = []
    for item in chunk:
        try:
            done.extend(_submit(pool, [item]).result())
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            pool = _pool(jobs, workers)
            path, index = item
            done.append(FileResult(path, [crash_finding(path, RuleCrash(WORKER, DIED))],
                                   crashes=[RuleCrash(WORKER, DIED)], threshold=jobs[index].threshold))
    return pool, done


def _pool(jobs: list[Job], workers: int) -> ProcessPoolExecutor:
    method = "fork" if sys.platform == "linux" else "spawn"  # fork is unsafe with macOS system libraries
    return ProcessPoolExecutor(workers, multiprocessing.get_context(method), initializer=_start, initargs=(jobs,))


def _start(jobs: list[Job]) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the workers), not a traceback per worker."""
    global _jobs
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _jobs = jobs


def _check(chunk: list[tuple[str, int]]) -> list[FileResult]:
    return [check_file(path, _jobs[index]) for path, index in chunk]

"""Timing, statistics and reporting helpers shared by every benchmark section.

Machines are noisy (the reference machine has 2 vCPUs), so every comparison measures
its baseline in the same run, interleaves candidate and baseline runs, and reports the
median of several runs. Targets are ratios against those baselines, never absolute
numbers.
"""

from __future__ import annotations

import atexit
import gc
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

#: the repository root, so subprocesses can import ``benchmarks`` and ``mockserver``
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: optional peers: what each comparison needs, and how to get it
PEERS = {
    "moto": "moto[server] (pip install -e '.[bench]')",
    "pytest_httpserver": "pytest-httpserver (pip install -e '.[bench]')",
    "gunicorn": "gunicorn (pip install -e '.[bench]')",
}


#: ``MOCKSERVER_BENCH_BUDGET=smoke``: every benchmark command runs as written (same flags, same
#: sections, same printed tables and JSON), with its sizes, rounds and seconds cut to a minimum
#: whatever the flags say. The figures then mean nothing; what it proves is that the command runs.
#: tests/docs/test_documented_commands.py runs the docs' benchmark command lines this way.
BUDGET_VARIABLE = "MOCKSERVER_BENCH_BUDGET"
#: the smoke budget's caps: seconds per timed loop, sizes of the soak and GraphQL benchmarks
SMOKE_SECONDS = 0.05
SMOKE_SCALE_BUDGET = 0.01
SMOKE_MEMORY_COUNT = 50
SMOKE_SOAK = {"requests": 300, "seconds": 60.0, "clients": 2}
SMOKE_GRAPHQL_WORKSPACES = 200


def smoke_budget() -> bool:
    """Whether ``MOCKSERVER_BENCH_BUDGET=smoke`` is set (unset or ``full``: the real budget)."""
    value = os.environ.get(BUDGET_VARIABLE, "").strip().lower()
    if value in ("", "full"):
        return False
    if value == "smoke":
        return True
    raise SystemExit(f"{BUDGET_VARIABLE}={value!r}: use 'smoke' (a run that only proves the command works) "
                     "or 'full' (the default)")


SMOKE_NOTE = f"  {BUDGET_VARIABLE}=smoke: sizes, rounds and seconds cut to a minimum; the figures mean nothing"


def stop_process(process: Any, timeout: float = 10) -> None:
    """Terminate a child process; kill it if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass
class Rate:
    """One timed loop: how many calls, how long (wall and CPU), and the latency spread."""

    calls: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: CPU time of the calling thread: on a busy machine it leaves out the time the loop
    #: waited for a core, so it is the steadier measure for loops that run in one thread
    cpu_seconds: float = 0.0
    #: CPU time of the whole process (every thread: client and in-process servers)
    process_cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.calls / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def per_process_cpu_second(self) -> float:
        return self.calls / self.process_cpu_seconds if self.process_cpu_seconds else 0.0


@dataclass
class Series:
    """Several runs of the same loop; the median is the figure we report."""

    label: str
    runs: list[Rate] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(run.per_second for run in self.runs) if self.runs else 0.0

    @property
    def cpu_median(self) -> float:
        """Median calls per CPU-second of the calling thread."""
        return statistics.median(run.per_cpu_second for run in self.runs) if self.runs else 0.0

    @property
    def process_cpu_median(self) -> float:
        """Median calls per CPU-second of the whole process."""
        return statistics.median(run.per_process_cpu_second for run in self.runs) if self.runs else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(run.p50_ms for run in self.runs) if self.runs else 0.0

    @property
    def p99_ms(self) -> float:
        return statistics.median(run.p99_ms for run in self.runs) if self.runs else 0.0

    def paired_ratio(self, baseline: Series, *, cpu: bool = False) -> float:
        """Median over rounds of (this run's rate / the baseline's run in the same round).

        Interleaved runs of one round ran seconds apart, under the same machine load, so
        their ratio is steadier than the ratio of the two medians. ``cpu``: calls per
        CPU-second of the calling thread instead of per wall-clock second.
        """
        def rate(run: Rate) -> float:
            return run.per_cpu_second if cpu else run.per_second

        ratios = [rate(mine) / rate(theirs) for mine, theirs in zip(self.runs, baseline.runs) if rate(theirs)]
        return statistics.median(ratios) if ratios else 0.0

    def describe_runs(self) -> str:
        return " / ".join(f"{run.per_second:,.0f}" for run in self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "median_per_second": round(self.median, 1),
                "runs_per_second": [round(run.per_second, 1) for run in self.runs],
                "median_per_thread_cpu_second": round(self.cpu_median, 1),
                "median_per_process_cpu_second": round(self.process_cpu_median, 1),
                "p50_ms": round(self.p50_ms, 3), "p99_ms": round(self.p99_ms, 3)}


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def timed_loop(call: Callable[[], Any], seconds: float, *, warmup: int = 30) -> Rate:
    """Call ``call`` back to back for ``seconds`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        call()
    latencies: list[float] = []
    clock = time.perf_counter
    gc.collect()
    cpu_start = time.thread_time()
    process_start = time.process_time()
    start = clock()
    deadline = start + seconds
    while True:
        before = clock()
        call()
        after = clock()
        latencies.append(after - before)
        if after >= deadline:
            break
    cpu = time.thread_time() - cpu_start
    process_cpu = time.process_time() - process_start
    latencies.sort()
    return Rate(calls=len(latencies), seconds=after - start, p50_ms=percentile(latencies, 0.5) * 1000,
                p99_ms=percentile(latencies, 0.99) * 1000, cpu_seconds=cpu, process_cpu_seconds=process_cpu)


def interleaved(loops: dict[str, Callable[[], Any]], *, seconds: float, repeats: int,
                warmup: int = 30) -> dict[str, Series]:
    """Run each loop ``repeats`` times, alternating between them, so drift hits all alike."""
    series = {label: Series(label) for label in loops}
    for _ in range(repeats):
        for label, call in loops.items():
            series[label].runs.append(timed_loop(call, seconds, warmup=warmup))
    return series


def sample_times(action: Callable[[], Any], count: int) -> list[float]:
    """Seconds taken by each of ``count`` calls of ``action``."""
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0


def spread(values: list[float], scale: float = 1000.0, unit: str = "ms", digits: int = 2) -> str:
    """``median (min–max)`` in ``unit``."""
    if not values:
        return "n/a"
    fmt = f"{{:.{digits}f}}"
    if len(values) == 1:
        return f"{fmt.format(values[0] * scale)} {unit}"
    return (f"{fmt.format(median(values) * scale)} {unit} "
            f"({fmt.format(min(values) * scale)}–{fmt.format(max(values) * scale)})")


def expect_status(response: Any, status: int = 200) -> Any:
    code = getattr(response, "status_code", None)
    if code != status:
        text = getattr(response, "text", None) or getattr(response, "data", b"")[:200]
        raise RuntimeError(f"benchmark call answered {code}, expected {status}: {text!r}")
    return response


def run_python(code: str, *, timeout: float = 120, env: dict[str, str] | None = None,
               cwd: str | None = None) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object as its last line."""
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                               cwd=cwd or REPO_ROOT, env=child_env(env))
    if completed.returncode != 0:
        raise RuntimeError(f"probe failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


_pycache: list[str] = []


def pycache_prefix() -> str:
    """A bytecode cache for the child interpreters, outside the repository, removed at exit."""
    if not _pycache:
        _pycache.append(tempfile.mkdtemp(prefix="mockserver-bench-pycache-"))
        atexit.register(shutil.rmtree, _pycache[0], True)
    return _pycache[0]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of child interpreters: this checkout importable, and a bytecode cache.

    Python caches compiled modules by default; a machine that turned that off
    (PYTHONDONTWRITEBYTECODE) would time compiling the mock's own modules, while the
    peers' were compiled when pip installed them. The cache lives in a temporary folder
    (PYTHONPYCACHEPREFIX), so nothing is written into the checkout.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache_prefix()
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("PYTEST_ADDOPTS", None)
    if extra:
        env.update(extra)
    return env


# -- reporting -----------------------------------------------------------------------
class Report:
    """Collects printed lines, PASS/FAIL verdicts and a JSON-able record of the figures."""

    def __init__(self) -> None:
        self.verdicts: list[tuple[str, bool, str]] = []
        self.data: dict[str, Any] = {"environment": environment()}

    def section(self, title: str) -> None:
        print(f"\n== {title} ==", flush=True)

    def line(self, text: str = "") -> None:
        print(text, flush=True)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
        for index, row in enumerate([header] + rows):
            print("  " + "  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                                   for i, cell in enumerate(row)).rstrip(), flush=True)
            if index == 0:
                print("  " + "  ".join("-" * width for width in widths), flush=True)

    def ratio(self, name: str, value: float, baseline: float, description: str) -> float:
        """Print ``value / baseline`` as a ratio and return it."""
        ratio = value / baseline if baseline else float("inf")
        print(f"  ratio {name}: {ratio:.2f}x ({description})", flush=True)
        self.data.setdefault("ratios", {})[name] = round(ratio, 3)
        return ratio

    def target(self, name: str, ratio: float, minimum: float, description: str) -> None:
        """A PASS/FAIL line for a target ratio."""
        passed = ratio >= minimum
        self.verdicts.append((name, passed, description))
        print(f"{'PASS' if passed else 'FAIL'} {name}: {ratio:.2f}x {description} (target >= {minimum:.2f}x)",
              flush=True)

    def not_installed(self, what: str) -> None:
        print(f"  {what}: not installed, skipped; install {PEERS.get(what, what)}", flush=True)

    def summary(self) -> int:
        print("\n== summary ==")
        if not self.verdicts:
            print("  no target ratios were measured in this run")
        for name, passed, description in self.verdicts:
            print(f"  {'PASS' if passed else 'FAIL'} {name}: {description}")
        failed = sum(1 for _, passed, _ in self.verdicts if not passed)
        print(f"  {len(self.verdicts) - failed} passed, {failed} failed")
        return failed


def environment() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("flask", "werkzeug", "granian", "waitress", "requests", "moto", "pytest-httpserver", "gunicorn",
                 "pytest"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "cpus": os.cpu_count(), "machine": platform.machine(), "system": f"{platform.system()} {platform.release()}",
            "processor": _cpu_model(), "packages": versions}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

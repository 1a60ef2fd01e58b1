"""Benchmark: whole-process `archcheck verify SPEC` against torchinfo + fvcore (bench/competitor.py).

Run by hand (not by CI), from the repository root, with the environment archcheck is installed in:

    python bench/bench.py                 # the full run (about 20 minutes on 2 cores), writes bench/RESULTS.md
    python bench/bench.py --quick         # fewer runs and no large competitor runs, for a smoke test

Every measurement is a fresh process (start-up included), waited for with os.wait4, which gives that
process's own wall time, CPU time (user + system) and peak resident memory. The two sides alternate run
by run so that a change in machine load hits both; the tables show medians.

Series:
- the bundled specs GoogLeNet, BN-Inception and Inception-v3 (those present in specs/);
- GoogLeNet with every channel count multiplied by 1, 4, 16 and 32 (generated spec files); the
  competitor is skipped where its real weights would not fit (estimated from archcheck's own count);
- GoogLeNet with N extra copies of the inception (4b) module (512 -> 512 channels at 14x14) after the
  original, N = 0, 100, 400, 1600; time per module is (T(N) - T(0)) / N;
- `verify --model`: the GoogLeNet subject (tests/subjects/googlenet_alt.py) with the same N extra modules
  against a spec with them, both alike; and the same with added modules that all differ from each other
  (their reduce widths vary), so that pairing runs of identical blocks alone cannot keep the cost linear.

`--series main,width,...` runs only some series; the sections of the others are kept from the existing
RESULTS.md as they were (each says when it was run).
"""
from __future__ import annotations

import argparse
import copy
import datetime
import importlib.util
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
MAIN_SPECS = [("GoogLeNet", "googlenet.yaml"), ("BN-Inception", "inception_v2.yaml"),
              ("Inception-v3", "inception_v3.yaml")]
STACK_TEMPLATE_ROW = "inception_4b"      # 512 -> 512 channels: copies can follow each other
GIB = 1024 ** 3


# -- running one process ----------------------------------------------------------------------------

@dataclass
class Run:
    wall: float          # seconds
    cpu: float           # user + system seconds
    rss: int             # peak resident set, bytes
    code: int            # exit code, or -signal
    timed_out: bool = False
    error: str = ""      # last line of stderr when the process failed


def run_once(argv: list[str], timeout: float | None = None, ok=(0, 1), must_succeed: bool = True) -> Run:
    """One process. archcheck exits 0 or 1 (verdict); the competitor must exit 0 (1 is an uncaught error)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # a normal install has bytecode caches; let both sides write them
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    run = Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, proc.returncode, timed_out.is_set())
    if not run.timed_out and run.code not in ok:
        text = err.decode(errors="replace").strip()
        if must_succeed:
            raise SystemExit(f"bench: {' '.join(argv)} exited {run.code}:\n{text[-2000:]}")
        run.error = (text.splitlines() or [f"exit code {run.code}"])[-1][:200]
    return run


def competitor_run(spec: Path, args) -> Run:
    return run_once(competitor_argv(spec), args.competitor_timeout, ok=(0,), must_succeed=False)


def archcheck_argv(spec: Path, *more: str) -> list[str]:
    script = Path(sys.executable).with_name("archcheck")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "archcheck"]
    return cmd + ["verify", str(spec), *more]


SUBJECT = "tests/subjects/googlenet_alt.py:GoogLeNetAlt"


def model_argv(spec: Path, n: int, distinct: bool) -> list[str]:
    """`archcheck verify SPEC --model` the GoogLeNet subject with n extra modules (LRN on, as the spec has it)."""
    return archcheck_argv(spec, "--model", SUBJECT, "--model-arg", "lrn=true", "--model-arg", f"extra={n}",
                          "--model-arg", f"distinct={str(distinct).lower()}")


def competitor_argv(spec: Path) -> list[str]:
    return [sys.executable, str(BENCH / "competitor.py"), str(spec)]


def median(runs: list[Run], key: str) -> float:
    return statistics.median(getattr(r, key) for r in runs)


# -- generated specs ----------------------------------------------------------------------------------

def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(doc: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
    return path


def _scale_layers(layers, w: int) -> None:
    for layer in layers or []:
        for kind in ("conv", "sepconv", "linear"):
            args = layer.get(kind)
            if isinstance(args, dict) and isinstance(args.get("out"), int):
                args["out"] *= w          # `out: num_classes` (a name) stays: classes are not channels


def scaled_googlenet(w: int, directory: Path) -> Path:
    """GoogLeNet with every channel count (template arguments, conv/linear widths) multiplied by w."""
    doc = copy.deepcopy(_load(ROOT / "specs" / "googlenet.yaml"))
    for t in doc["templates"].values():
        _scale_layers(t.get("layers"), w)
        for b in t.get("branches", []):
            _scale_layers(b.get("layers"), w)
    for row in doc["rows"]:
        _scale_layers(row.get("layers"), w)
        for k, v in (row.get("args") or {}).items():
            if isinstance(v, int):
                row["args"][k] = v * w
    doc["name"] = f"googlenet-x{w}"
    return _dump(doc, directory / f"googlenet_x{w}.yaml")


def _without_claims(doc: dict) -> dict:
    """A generated network is not GoogLeNet: the paper's whole-network claims (22 layers, a 1.5G budget)
    do not hold for it and would fail every check (and a failing `--model` check also searches the
    closest declared build, which is not what the depth series measure)."""
    doc.pop("claims", None)
    doc["errata"] = [e for e in doc.get("errata", []) if "claim" not in e]
    return doc


def stacked_googlenet(n: int, directory: Path) -> Path:
    """GoogLeNet with n more copies of the inception (4b) row (printed cells included) after it."""
    doc = copy.deepcopy(_load(ROOT / "specs" / "googlenet.yaml"))
    rows = doc["rows"]
    at = next(i for i, r in enumerate(rows) if r["name"] == STACK_TEMPLATE_ROW)
    copies = []
    for i in range(n):
        row = copy.deepcopy(rows[at])
        row["name"] = f"{STACK_TEMPLATE_ROW}_copy{i + 1:04d}"
        copies.append(row)
    doc["rows"] = rows[:at + 1] + copies + rows[at + 1:]
    doc["name"] = f"googlenet-stack{n}"
    return _dump(_without_claims(doc), directory / f"googlenet_stack{n}.yaml")


def _copy_config():
    """The subject's own rule for its extra modules (tests/subjects/googlenet_alt.py), so spec and model agree."""
    path = ROOT / "tests" / "subjects" / "googlenet_alt.py"
    spec = importlib.util.spec_from_file_location("googlenet_alt_for_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.copy_config


def distinct_googlenet(n: int, directory: Path) -> Path:
    """GoogLeNet with n more inception modules after (4b), each with other reduce widths (copy_config): no two
    alike. Their printed reduce and cost cells are left empty (the table has no such rows to print)."""
    copy_config = _copy_config()
    doc = copy.deepcopy(_load(ROOT / "specs" / "googlenet.yaml"))
    rows = doc["rows"]
    at = next(i for i, r in enumerate(rows) if r["name"] == STACK_TEMPLATE_ROW)
    names = [c["name"] for c in doc["columns"]]
    copies = []
    for i in range(1, n + 1):
        row = copy.deepcopy(rows[at])
        row["name"] = f"{STACK_TEMPLATE_ROW}_distinct{i:04d}"
        c1, r3, c3, r5, c5, pp = copy_config(i, True)
        row["args"] = {"n1x1": c1, "n3x3red": r3, "n3x3": c3, "n5x5red": r5, "n5x5": c5, "pool_proj": pp}
        for col in ("#3×3 reduce", "#5×5 reduce", "params", "ops"):
            row["paper"][names.index(col)] = ""
        copies.append(row)
    doc["rows"] = rows[:at + 1] + copies + rows[at + 1:]
    doc["name"] = f"googlenet-distinct{n}"
    return _dump(_without_claims(doc), directory / f"googlenet_distinct{n}.yaml")


def model_size(spec: Path) -> tuple[int, int]:
    """(parameters, activation entries summed over rows) of the spec's default build, from archcheck."""
    done = subprocess.run(archcheck_argv(spec) + ["--format", "json"], cwd=ROOT, capture_output=True, text=True)
    report = json.loads(done.stdout)
    acts = 0
    for row in report["rows"]:
        out = (row.get("measured") or {}).get("output")
        if out:
            n = 1
            for v in out:
                n *= v
            acts += n
    return report["totals"]["params"], acts


def competitor_bytes(params: int, acts: int) -> int:
    """float32 weights, activations of one batch-1 pass, and the ~0.5 GiB of the imported libraries."""
    return 4 * params + 4 * acts + GIB // 2


# -- machine ------------------------------------------------------------------------------------------

def meminfo(key: str) -> int:
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def machine() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("torch", "torchinfo", "fvcore", "PyYAML", "tabulate"))
    return [f"- CPU: {cpu}, {os.cpu_count()} cores visible",
            f"- memory: {meminfo('MemTotal') / GIB:.1f} GiB total, {meminfo('MemAvailable') / GIB:.1f} GiB available "
            f"at the start",
            f"- {platform.system()} {platform.release()}, Python {platform.python_version()}; {versions}",
            f"- load average at the start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} (other work on the "
            f"machine slows both sides; CPU time is less sensitive to it than wall time)"]


# -- series -------------------------------------------------------------------------------------------

def fmt_s(v: float) -> str:
    return f"{v:.2f} s"


def fmt_mib(v: float) -> str:
    return f"{v / 2 ** 20:,.0f} MiB"


def alternate(spec: Path, runs: int, log) -> tuple[list[Run], list[Run]]:
    run_once(archcheck_argv(spec))          # warm-up: bytecode caches, page cache
    run_once(competitor_argv(spec), ok=(0,))
    ours, theirs = [], []
    for i in range(runs):
        pair = [(archcheck_argv(spec), ours, (0, 1)), (competitor_argv(spec), theirs, (0,))]
        for argv, into, ok in (pair if i % 2 == 0 else pair[::-1]):
            into.append(run_once(argv, ok=ok))
        log(f"  {spec.name} run {i + 1}/{runs}: archcheck {ours[-1].wall:.2f} s, competitor {theirs[-1].wall:.2f} s")
    return ours, theirs


def main_series(args, log) -> tuple[list[str], list[bool]]:
    lines = ["| model | spec | archcheck wall | competitor wall | ratio | archcheck CPU | competitor CPU | ratio "
             "| archcheck peak RSS | competitor peak RSS | target met |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    met = []
    for label, name in MAIN_SPECS:
        spec = ROOT / "specs" / name
        if not spec.exists():
            lines.append(f"| {label} | `specs/{name}` | not in this checkout | | | | | | | | |")
            continue
        log(f"{label}: {args.runs} alternating runs")
        ours, theirs = alternate(spec, args.runs, log)
        wall = median(ours, "wall") / median(theirs, "wall")
        cpu = median(ours, "cpu") / median(theirs, "cpu")
        ok = wall <= 0.8 and max(r.rss for r in ours) < min(r.rss for r in theirs)
        met.append(ok)
        lines.append(f"| {label} | `specs/{name}` | {fmt_s(median(ours, 'wall'))} | {fmt_s(median(theirs, 'wall'))} "
                     f"| {wall:.2f} | {fmt_s(median(ours, 'cpu'))} | {fmt_s(median(theirs, 'cpu'))} | {cpu:.2f} "
                     f"| {fmt_mib(median(ours, 'rss'))} | {fmt_mib(median(theirs, 'rss'))} | {'yes' if ok else 'NO'} |")
    return lines, met


def width_series(args, tmp: Path, log) -> tuple[list[str], bool | None]:
    lines = ["| width | parameters | archcheck wall | archcheck CPU | archcheck peak RSS | competitor |",
             "|--:|--:|--:|--:|--:|---|"]
    target = None
    budget = args.competitor_memory * meminfo("MemAvailable")
    for w in args.widths:
        spec = scaled_googlenet(w, tmp)
        params, acts = model_size(spec)
        log(f"width x{w}: {params:,} parameters; archcheck x{args.series_runs}")
        ours = [run_once(archcheck_argv(spec)) for _ in range(args.series_runs)]
        need = competitor_bytes(params, acts)
        if need > budget:
            theirs = (f"skipped: its real float32 weights need about {need / GIB:.1f} GiB, more than "
                      f"{args.competitor_memory:.0%} of the {meminfo('MemAvailable') / GIB:.1f} GiB available")
        else:
            log(f"width x{w}: competitor once (timeout {args.competitor_timeout:.0f} s)")
            r = competitor_run(spec, args)
            theirs = (f"did not finish in {args.competitor_timeout:.0f} s (peak RSS so far {fmt_mib(r.rss)})"
                      if r.timed_out else f"failed after {fmt_s(r.wall)}: {r.error}" if r.error else
                      f"{fmt_s(r.wall)} wall, {fmt_s(r.cpu)} CPU, peak RSS {fmt_mib(r.rss)}")
        if w == 32:
            target = median(ours, "wall") < 10 and max(r.rss for r in ours) < 1.5 * GIB
        lines.append(f"| x{w} | {params:,} | {fmt_s(median(ours, 'wall'))} | {fmt_s(median(ours, 'cpu'))} "
                     f"| {fmt_mib(median(ours, 'rss'))} | {theirs} |")
    return lines, target


def depth_rounds(argvs: dict, args, log, label: str) -> dict:
    """Each size's process, after a warm-up, `--series-runs` times round robin (load changes hit every size)."""
    sizes = list(argvs)
    for n in sizes:
        run_once(argvs[n])
    ours: dict[int, list[Run]] = {n: [] for n in sizes}
    for i in range(args.series_runs):
        for n in (sizes if i % 2 == 0 else sizes[::-1]):
            ours[n].append(run_once(argvs[n]))
        log(f"{label} round {i + 1}/{args.series_runs}: " + ", ".join(f"{n}: {ours[n][-1].wall:.2f} s" for n in sizes))
    return ours


def depth_table(ours: dict, theirs: dict | None, args) -> tuple[list[str], bool, list[tuple]]:
    """Per size: medians, time per added module by median and by fastest run; -> (lines, flat within 1.5x,
    per-module rows)."""
    sizes = list(ours)
    t0, c0 = median(ours[0], "wall"), median(ours[0], "cpu")
    m0 = min(r.wall for r in ours[0])
    head = ["modules added", "archcheck wall", "per module (wall)", "per module (CPU)", "per module (fastest runs)",
            "archcheck peak RSS"]
    if theirs is not None:
        head += ["competitor wall", "competitor per module", "competitor peak RSS"]
    lines = ["| " + " | ".join(head) + " |", "|" + "--:|" * len(head)]
    per_module = []
    for n in sizes:
        wall, cpu = median(ours[n], "wall"), median(ours[n], "cpu")
        fastest = min(r.wall for r in ours[n])
        if n:
            per_module.append(((wall - t0) / n, (cpu - c0) / n, (fastest - m0) / n))
        own = [f"{(wall - t0) / n * 1000:.2f} ms", f"{(cpu - c0) / n * 1000:.2f} ms",
               f"{(fastest - m0) / n * 1000:.2f} ms"] if n else ["", "", ""]
        cells = [f"{n:,}", fmt_s(wall), *own, fmt_mib(median(ours[n], "rss"))]
        if theirs is not None:
            cells += _competitor_cells(theirs, n, args)
        lines.append("| " + " | ".join(cells) + " |")

    def spread(i):
        values = [p[i] for p in per_module]
        return max(values) / min(values) if min(values) > 0 else float("inf")

    lines += ["", f"Largest / smallest time per module from {args.stacks[0]:,} to {args.stacks[-1]:,} modules: "
                  f"{spread(2):.2f}x by the fastest runs, {spread(0):.2f}x by median wall time, {spread(1):.2f}x by "
                  f"median CPU time (target: within 1.5x). The fastest runs decide the target: on a shared machine "
                  f"the minimum is the estimate least disturbed by other work, and a burst of load during one "
                  f"size's runs moves the medians at N = 100 by milliseconds per module."]
    return lines, spread(2) <= 1.5, per_module


def _competitor_cells(theirs: dict, n: int, args) -> list[str]:
    r = theirs[n]
    if r is None:
        return ["not run (--quick)", "", ""]
    if r.timed_out:
        return [f"> {args.competitor_timeout:.0f} s (stopped)", "", fmt_mib(r.rss)]
    if r.error:
        return [f"failed after {fmt_s(r.wall)}: {r.error}", "", fmt_mib(r.rss)]
    r0 = theirs[0]
    per = f"{(r.wall - r0.wall) / n * 1000:.1f} ms" if n and r0 and not (r0.timed_out or r0.error) else ""
    return [fmt_s(r.wall), per, fmt_mib(r.rss)]


def stack_series(args, tmp: Path, log) -> tuple[list[str], bool | None]:
    sizes = [0] + args.stacks
    specs = {n: stacked_googlenet(n, tmp) for n in sizes}
    ours = depth_rounds({n: archcheck_argv(specs[n]) for n in sizes}, args, log, "stacks")
    theirs: dict[int, Run | None] = {}
    for n in sizes:
        if args.quick and n > 100:
            theirs[n] = None
            continue
        log(f"stack {n}: competitor once (timeout {args.competitor_timeout:.0f} s)")
        theirs[n] = competitor_run(specs[n], args)
    lines, met, _ = depth_table(ours, theirs, args)
    return lines, met


def model_series(args, tmp: Path, log, distinct: bool) -> tuple[list[str], bool | None]:
    """`verify SPEC --model` with N extra modules in both; flat time per module and < 1 GiB at N = 400."""
    sizes = [0] + args.stacks
    make = distinct_googlenet if distinct else stacked_googlenet
    argvs = {n: model_argv(make(n, tmp), n, distinct) for n in sizes}
    ours = depth_rounds(argvs, args, log, "distinct models" if distinct else "models")
    lines, flat, _ = depth_table(ours, None, args)
    memory = max(r.rss for r in ours[400]) if 400 in ours else None
    if memory is not None:
        lines.append(f"Peak RSS at 400 modules: {fmt_mib(memory)} at most over the runs (target: under 1 GiB).")
    return lines, flat and (memory is None or memory < GIB)


# -- RESULTS.md: one section per series, kept from the last file when a series is not run --------------------

SERIES = ("main", "width", "stack", "model", "model-distinct")


def section(name: str, heading: str, target: str, met, when: str, intro: str, body: list[str]) -> str:
    verdict = "not measured" if met is None or met == [] else ("met" if (all(met) if isinstance(met, list) else met)
                                                                else "NOT met")
    return "\n".join([f"## {heading}", f"<!-- series: {name} -->", "", f"Run on {when}.", "",
                      f"Target: {target}: **{verdict}**", "", intro, "", *body, ""])


def kept_sections(path: Path) -> dict[str, str]:
    """The series sections of an existing RESULTS.md, by series name (those written with a series marker)."""
    if not path.exists():
        return {}
    out, current, name = {}, [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if name:
                out[name] = "\n".join(current).rstrip("\n") + "\n"
            current, name = [line], None
            continue
        if line.startswith("<!-- series: "):
            name = line[len("<!-- series: "):-len(" -->")]
        current.append(line)
    if name:
        out[name] = "\n".join(current).rstrip("\n") + "\n"
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=7, help="alternating runs per bundled spec (default 7)")
    p.add_argument("--series-runs", type=int, default=7, help="archcheck runs per width and stack size (default 7)")
    p.add_argument("--widths", type=lambda s: [int(v) for v in s.split(",")], default=[1, 4, 16, 32])
    p.add_argument("--stacks", type=lambda s: [int(v) for v in s.split(",")], default=[100, 400, 1600])
    p.add_argument("--series", type=lambda s: [v.strip() for v in s.split(",")], default=list(SERIES),
                   help=f"which series to run, of {', '.join(SERIES)} (default: all); the others' sections are "
                        f"kept from the existing --out file")
    p.add_argument("--competitor-timeout", type=float, default=300, help="seconds before a competitor run is "
                   "stopped (default 300)")
    p.add_argument("--competitor-memory", type=float, default=0.5, help="skip a competitor run whose estimated "
                   "memory exceeds this fraction of the available memory (default 0.5)")
    p.add_argument("--quick", action="store_true", help="3 runs, widths 1 and 32, stacks 100 and 400, "
                   "competitor only on the small models")
    p.add_argument("--out", default=str(BENCH / "RESULTS.md"), help="where to write the results (default "
                   "bench/RESULTS.md); - for stdout only")
    args = p.parse_args(argv)
    unknown = [v for v in args.series if v not in SERIES]
    if unknown:
        p.error(f"unknown series {', '.join(unknown)}; expected some of {', '.join(SERIES)}")
    if args.quick:
        args.runs, args.series_runs, args.widths, args.stacks = 3, 3, [1, 32], [100, 400]
        args.competitor_memory = min(args.competitor_memory, 0.2)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.time()
    head = machine()
    command = "python bench/bench.py" + (" --quick" if args.quick else "") + (
        f" --series {','.join(args.series)}" if list(args.series) != list(SERIES) else "")
    sections = kept_sections(Path(args.out)) if args.out != "-" else {}
    tmp = Path(tempfile.mkdtemp(prefix="archcheck-bench-"))
    stacks = f"{args.stacks[0]:,} to {args.stacks[-1]:,}"
    depth_intro = (f"archcheck: medians of {args.series_runs} rounds, sizes run round robin. Per module: (T(N) - T(0)) "
                   "/ N with T the median (in the fastest-runs column, the minimum) over the rounds, so that process "
                   "start-up does not hide growth; at N = 100, a 0.1 s wobble of T(0) moves it by 1 ms.")
    try:
        for name in args.series:
            when = f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `{command}`, load average " \
                   f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} at its start"
            if name == "main":
                lines, met = main_series(args, log)
                sections[name] = section(name, "Bundled specs", "archcheck's median wall time at most 0.8x the "
                    "competitor's and a lower peak RSS", met, when,
                    f"Whole processes, medians of {args.runs} alternating runs each (after one warm-up run of each "
                    "side). archcheck: `archcheck verify SPEC` (Markdown report to /dev/null). Competitor: `python "
                    "bench/competitor.py SPEC` (import torch, torchinfo, fvcore; build the same network with real "
                    "weights; eval mode; torchinfo.summary and FlopCountAnalysis(...).total() on one batch-1 input, "
                    "under torch.no_grad; it exits normally, as a user's script would, while archcheck ends with "
                    "os._exit after flushing its output, skipping the ~0.3 s of interpreter shutdown with torch "
                    "loaded). Ratio: archcheck / competitor; peak RSS: medians.", lines)
            elif name == "width":
                lines, met = width_series(args, tmp, log)
                sections[name] = section(name, "Width: GoogLeNet with every channel count multiplied",
                    "GoogLeNet x32 under 10 s wall and 1.5 GiB peak RSS", met, when,
                    f"archcheck: median of {args.series_runs} runs. Competitor: one run, when its estimated memory "
                    f"(4 bytes per parameter and activation + 0.5 GiB) fits in {args.competitor_memory:.0%} of the "
                    f"available memory, stopped after {args.competitor_timeout:.0f} s.", lines)
            elif name == "stack":
                lines, met = stack_series(args, tmp, log)
                sections[name] = section(name, "Depth: GoogLeNet with N more inception (4b) modules",
                    f"time per stacked module flat within 1.5x from {stacks} modules (fastest runs)", met, when,
                    depth_intro + " Competitor: one run per size.", lines)
            else:
                distinct = name == "model-distinct"
                lines, met = model_series(args, tmp, log, distinct)
                what = ("modules that all differ from each other (reduce widths varied), in spec and model alike"
                        if distinct else "copies of inception (4b), in spec and model alike")
                sections[name] = section(name, f"Depth of `verify --model`: the GoogLeNet subject with N more "
                    f"{'distinct ' if distinct else ''}modules",
                    f"time per module flat within 1.5x from {stacks} modules (fastest runs) and peak RSS under 1 "
                    f"GiB at 400", met, when,
                    f"`archcheck verify SPEC --model {SUBJECT} --model-arg lrn=true --model-arg extra=N "
                    f"--model-arg distinct={str(distinct).lower()}`, SPEC GoogLeNet with N more {what} (a generated "
                    f"spec file). " + depth_intro, lines)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    minutes = (time.time() - started) / 60
    targets = [f"{text.splitlines()[0][len('## '):]}: {line[len('Target: '):]}" for name in SERIES
               if name in sections for text in [sections[name]] for line in text.splitlines()
               if line.startswith("Target: ")]
    text = "\n".join([
        "# Benchmark results", "",
        f"Last written by `{command}` ({minutes:.0f} minutes); each section says when its series ran. See "
        f"bench/README.md for what is measured and how.", "",
        "## Machine", "", *head,
        f"- load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", "",
        "## Targets", "", *[f"- {t}" for t in targets], "",
        *[sections[name] for name in SERIES if name in sections]])
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

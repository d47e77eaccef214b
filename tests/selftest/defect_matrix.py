"""The self-test matrix: proof that every check of the suite can fail, and for the right reason.

For every defect of the reference server (:data:`conformance.server.defects.DEFECTS`) the suite
runs in-process against a :class:`~conformance.server.ReferenceServer` started with that defect,
restricted to the checks the defect names and with ``--dcr-strict`` (so SHOULD findings fail
too). A defect is *caught* when each check it names fails for at least one parameter with a
message that starts with the check id (a crash or a failed prerequisite does not count). The
correct server must pass one full run with no failure, no warning and nothing skipped, and the
suite must leave no client behind on it.

Speed: the runs are spread over worker processes (one ``pytest.main`` at a time per process; a
spawned process pool reuses the imports), a defect's run collects only the modules holding its
checks, and once a check has failed the rest of its tests are skipped (``--every-test`` runs them
all). The fuzzing checks run with a pinned seed (:data:`MATRIX_FUZZ_SEED`) so the matrix is
reproducible (derandomized examples shift with unrelated changes: Hypothesis draws on the literals
of every loaded local module; a pinned seed keeps the random stream itself fixed).

The variant column: every defect is also run with the conformant variants it can be combined with
(:mod:`conformance.server.combinations`; a pair that changes the same answer is declared there
with its reason), and must still make every check it names fail. The bounded form (the tests, and
the default here) runs each defect once with every combinable variant at once (the first group of
:func:`~conformance.server.variants.compatible_groups`), and once more with each further group
(the second member of each incompatible pair) when one of that group's variants concerns a check
the defect names. ``--with-variants pairs`` runs every defect with every combinable variant alone
(the exhaustive form, minutes), and ``--write-pairs`` stores its result, which ``--write-docs``
renders as a column of docs/defect-matrix.md.

Command line::

    python -m tests.selftest.defect_matrix                 # run the matrix, print it, exit 1 on a gap
    python -m tests.selftest.defect_matrix --defect NAME   # only these defects (repeatable)
    python -m tests.selftest.defect_matrix --every-test    # every test of every named check (slower)
    python -m tests.selftest.defect_matrix --with-variants none    # the defects alone (no variant column)
    python -m tests.selftest.defect_matrix --with-variants pairs --write-pairs   # every defect x variant pair
    python -m tests.selftest.defect_matrix --with-variants related-pairs --write-pairs   # the related ones only
    python -m tests.selftest.defect_matrix --write-docs    # regenerate docs/defect-matrix.md, docs/requirements.md, docs/coverage.md
    python -m tests.selftest.defect_matrix --check-docs    # exit 1 when the committed docs are stale
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tests.selftest.generated_docs import CAUGHT, DOCS_DIR, PAIRS_FILE, stale_docs, write_docs
from tests.selftest.runner import SUITE, CheckOutcome, RunResult, run_against_server

#: The Hypothesis seed of the fuzzing checks in every matrix run (``--dcr-fuzz-seed``).
MATRIX_FUZZ_SEED = 7591
#: The matrix runs ~90 sessions in a few processes: skip pytest's per-session gc.collect() passes.
MATRIX_ARGS = ("-p", "no:unraisableexception", "--dcr-fuzz-seed", str(MATRIX_FUZZ_SEED))

#: ``--with-variants``: none (the defects alone), groups (the bounded form), pairs (exhaustive),
#: related-pairs (the pairs whose variant concerns a check the defect names: the first part of pairs).
VARIANT_MODES = ("none", "groups", "pairs", "related-pairs")
#: The key of a defect's run with variants: ``"<defect> + <label>"`` (label: a group or a variant).
COMBINED = " + "
ALL_AT_ONCE, THE_OTHERS = "all-compatible", "the-others"


def run_defect(name: str, *, every_test: bool = False, variants: tuple[str, ...] = ()) -> RunResult:
    """The suite, strict, restricted to the checks ``name`` breaks, against a server with that
    defect (and the conformant ``variants``).

    Once a check failed, its remaining tests are skipped unless ``every_test``."""
    from conformance.server import DEFECTS

    checks = set(DEFECTS[name].breaks)
    where = check_modules()
    modules = sorted({m for c in checks for m in where.get(c, ())}) or [SUITE]
    return run_against_server(name, only=checks, strict=True, stop_when_caught=not every_test,
                              modules=modules, args=MATRIX_ARGS, variants=variants)


def combined_key(defect: str, label: str) -> str:
    return f"{defect}{COMBINED}{label}"


def is_combined(key: str | None) -> bool:
    return key is not None and COMBINED in key


def variant_runs(defect: str, mode: str = "groups") -> dict[str, tuple[str, ...]]:
    """``{label: variants}``: the runs of ``defect`` with variants in ``mode`` (see the module doc)."""
    from conformance.server import DEFECTS, VARIANTS
    from conformance.server.combinations import combinable, variant_groups

    if mode == "none":
        return {}
    breaks = set(DEFECTS[defect].breaks)
    if mode in ("pairs", "related-pairs"):
        related = [name for name in combinable(defect) if set(VARIANTS[name].checks) & breaks]
        others = [name for name in combinable(defect) if name not in related] if mode == "pairs" else []
        return {name: (name,) for name in related + others}  # the related pairs first
    runs = {}
    for index, group in enumerate(variant_groups(defect)):
        label = ALL_AT_ONCE if index == 0 else THE_OTHERS if index == 1 else f"{THE_OTHERS}-{index}"
        if index == 0 or any(set(VARIANTS[name].checks) & breaks for name in group):
            runs[label] = group
    return runs


@functools.cache
def check_modules() -> dict[str, frozenset[str]]:
    """The modules of the suite that hold each check (a defect's run collects only those)."""
    import importlib
    import pkgutil

    import conformance.suite as suite

    where: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(suite.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{SUITE}.{info.name}")
        for obj in vars(module).values():
            for mark in getattr(obj, "pytestmark", []):
                if mark.name == "dcr_check":
                    where.setdefault(mark.args[0].id, set()).add(module.__name__)
    return {check_id: frozenset(modules) for check_id, modules in where.items()}


def run_reference() -> RunResult:
    """One full run against the correct server (not strict: warnings are counted separately)."""
    return run_against_server(None, args=MATRIX_ARGS)


def _run_one(name: str | None, every_test: bool = False, variants: tuple[str, ...] = ()) -> dict:
    if name is None:
        return run_reference().to_json()
    return run_defect(name, every_test=every_test, variants=variants).to_json()


_REFERENCE_RUN: list[RunResult] = []
_MATRIX: list[dict[str | None, RunResult]] = []


def reference_run() -> RunResult:
    """The full run against the correct server, once per process (the matrix seeds it)."""
    if not _REFERENCE_RUN:
        _REFERENCE_RUN.append(run_reference())
    return _REFERENCE_RUN[0]


def shared_results(directory: Path | None, *, matrix: bool = True) -> dict[str | None, RunResult]:
    """The matrix (or, with ``matrix=False``, only the run against the correct server), computed
    once per test run: per process when ``directory`` is None, else once for every process that
    shares ``directory`` (pytest-xdist workers), under a lock file there."""
    if directory is None:
        if matrix:
            if not _MATRIX:
                _MATRIX.append(run_matrix())
            return _MATRIX[0]
        return {None: reference_run()}
    import fcntl

    directory = Path(directory)
    matrix_file, reference_file = directory / "dcr-selftest-matrix.json", directory / "dcr-selftest-reference.json"
    with open(directory / "dcr-selftest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first process computes, the others wait and read
        if matrix_file.exists():
            results = matrix_from_json(json.loads(matrix_file.read_text()))
            return results if matrix else {None: results[None]}
        reference = RunResult.from_json(json.loads(reference_file.read_text())) if reference_file.exists() else None
        if not matrix:
            if reference is None:
                reference = run_reference()
                reference_file.write_text(json.dumps(reference.to_json()))
            return {None: reference}
        results = run_matrix(reference=reference is None)
        if reference is not None:
            results[None] = reference
        matrix_file.write_text(json.dumps(matrix_to_json(results)))
        return results


def _cost(name: str | None) -> int:
    """Rough run time, to start the slow runs first (the pool then balances the rest)."""
    from conformance.server import DEFECTS

    if name is None:
        return 100
    breaks = DEFECTS[name.split(COMBINED)[0]].breaks
    return 50 if "DCR-REG-008" in breaks or "DCR-MGT-014" in breaks else 20 if "DCR-REG-007" in breaks else \
        10 if "DCR-USE-003" in breaks or "DCR-TOK-010" in breaks else 1


#: Runs at once per CPU: a run mostly waits (on designed token expiries, on the server's answers),
#: so three per core finish the matrix sooner (2 cores: 86 s with 2, 54 s with 4, 44 s with 6).
WORKERS_PER_CPU = 3


def run_matrix(names: list[str] | None = None, *, reference: bool = True, workers: int | None = None,
               every_test: bool = False, variants: str = "groups", alone: bool = True,
               on_result=None) -> dict[str | None, RunResult]:
    """Run every defect (or ``names``) alone (unless not ``alone``) and with the variants of
    ``variants`` (a mode of :data:`VARIANT_MODES`; keys :func:`combined_key`), and, with
    ``reference``, the correct server (key None). ``on_result(key, result)`` is called as each
    run ends (the exhaustive form stores its results as it goes)."""
    from conformance.server import DEFECTS

    defects = list(DEFECTS) if names is None else list(names)
    tasks: dict[str | None, tuple[str | None, tuple[str, ...]]] = {name: (name, ()) for name in defects if alone}
    for name in defects:
        for label, group in variant_runs(name, variants).items():
            tasks[combined_key(name, label)] = (name, group)
    if reference:
        tasks[None] = (None, ())
    order = sorted(tasks, key=_cost, reverse=True)  # stable: the related pairs stay first
    workers = max(1, min(workers or WORKERS_PER_CPU * (os.cpu_count() or 1), len(order)))
    results: dict[str | None, RunResult] = {}
    if workers == 1:
        for key in order:
            results[key] = RunResult.from_json(_run_one(tasks[key][0], every_test, tasks[key][1]))
            if on_result is not None:
                on_result(key, results[key])
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with server threads
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(_run_one, tasks[key][0], every_test, tasks[key][1]): key for key in order}
            for future in as_completed(futures):
                results[futures[future]] = RunResult.from_json(future.result())
                if on_result is not None:
                    on_result(futures[future], results[futures[future]])
        results = {key: results[key] for key in order}
    if None in results and not _REFERENCE_RUN:
        _REFERENCE_RUN.append(results[None])
    return results


REFERENCE_KEY = "(correct server)"


def matrix_to_json(results: dict[str | None, RunResult]) -> dict:
    return {REFERENCE_KEY if k is None else k: v.to_json() for k, v in results.items()}


def matrix_from_json(data: dict) -> dict[str | None, RunResult]:
    return {None if k == REFERENCE_KEY else k: RunResult.from_json(v) for k, v in data.items()}


# ------------------------------------------------------------------------------------ verdicts


def defect_problems(name: str, result: RunResult) -> list[str]:
    """Why ``name`` is not proven caught by each check it names (empty: proven)."""
    from conformance.catalogue import load_checks
    from conformance.server import DEFECTS

    checks = load_checks()
    problems = []
    for check_id in DEFECTS[name].breaks:
        if check_id not in checks:
            problems.append(f"{check_id} is not a check of the suite")
            continue
        outcome = result.checks.get(check_id, CheckOutcome(check_id))
        if outcome.ran == 0:
            why = "; ".join(outcome.skipped[:3]) or "nothing was collected"
            problems.append(f"{check_id} did not run ({why})")
        elif not outcome.caught:
            only = (f" ({len(outcome.expected)} failed only with the SHOULD findings the variants must "
                    f"produce)") if outcome.expected else ""
            under = f" with the variants {', '.join(result.variants)}" if result.variants else ""
            problems.append(f"{check_id} did not fail in {outcome.ran} test(s){under}{only}")
        for failure in outcome.wrong:
            problems.append(f"{check_id} failed without naming its id (a crash or a prerequisite), "
                            f"{failure.nodeid} [{failure.when}]:\n    "
                            + failure.message.replace("\n", "\n    "))
    if problems and result.output_tail:
        problems.append("tail of the run's output:\n" + result.output_tail)
    return problems


def reference_problems(result: RunResult) -> list[str]:
    """Why the run against the correct server is not clean (empty: clean)."""
    problems = [f"{f.nodeid} [{f.when}] failed:\n    " + f.message.replace("\n", "\n    ")
                for f in result.failures]
    problems += [f"{nodeid} passed with a SHOULD warning" for nodeid in result.warnings]
    problems += [f"skipped: {s}" for o in result.checks.values() for s in o.skipped]
    if result.exit_code != 0:
        problems.append(f"exit code {result.exit_code}")
    if result.clients_left != 0:
        problems.append(f"{result.clients_left} client(s) left in the server's store; leftovers {result.leftovers}")
    return problems


def unnamed_checks() -> list[str]:
    """Checks of the suite that no defect names."""
    from conformance.catalogue import load_checks
    from conformance.server import DEFECTS

    named = {c for d in DEFECTS.values() for c in d.breaks}
    return [c for c in load_checks() if c not in named]


def defects_naming_no_check() -> list[str]:
    """Defects that name no existing check (or nothing at all)."""
    from conformance.catalogue import load_checks
    from conformance.server import DEFECTS

    checks = load_checks()
    return [n for n, d in DEFECTS.items() if not any(c in checks for c in d.breaks)]


def checks_no_defect_fails(results: dict[str | None, RunResult]) -> list[str]:
    """Checks of the suite that no defect of the matrix made fail."""
    from conformance.catalogue import load_checks

    failed = {c for name, r in results.items() if name is not None and not is_combined(name)
              for c, o in r.checks.items() if o.caught}
    return [c for c in load_checks() if c not in failed]


def check_functions_no_defect_fails(results: dict[str | None, RunResult]) -> list[str]:
    """``check id: function`` of every test function (a check id may span several, e.g. one per
    main client and one per profile) that ran against the correct server but failed under no defect."""
    ran = {(c, f) for c, o in results[None].checks.items() for f in o.functions}
    failed = {(c, f) for name, r in results.items() if name is not None and not is_combined(name)
              for c, o in r.checks.items() for f in o.caught_functions}
    return sorted(f"{c}: {f}" for c, f in ran - failed)


# ------------------------------------------------------------------------------------ CLI


def _print_matrix(results: dict[str | None, RunResult], *, complete: bool, out=sys.stdout) -> int:
    from conformance.server import DEFECTS

    gaps = 0
    for name, result in sorted(results.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
        if name is None:
            problems = reference_problems(result)
            label, checks = "(correct server)", "full run"
        else:
            problems = defect_problems(result.defect or name, result)
            label, checks = name, " ".join(DEFECTS[result.defect or name].breaks)
        gaps += bool(problems)
        print(f"{'GAP ' if problems else 'ok  '} {label:42} {checks:28} {result.duration_s:6.2f}s "
              f"clients left {result.clients_left}", file=out)
        for problem in problems:
            if not problem.startswith("tail of"):
                print("       " + problem.replace("\n", "\n       "), file=out)
    if complete:  # only the whole matrix can show a check no defect fails
        for check_id in checks_no_defect_fails(results):
            gaps += 1
            print(f"GAP  check {check_id}: no defect of the matrix makes it fail", file=out)
    for name in defects_naming_no_check():
        gaps += 1
        print(f"GAP  defect {name}: names no existing check", file=out)
    return gaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.selftest.defect_matrix",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true", help="regenerate docs/defect-matrix.md, docs/requirements.md and docs/coverage.md")
    parser.add_argument("--check-docs", action="store_true", help="exit 1 when the generated docs are stale")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_DIR)
    parser.add_argument("--defect", action="append", metavar="NAME", help="run only these defects (repeatable)")
    parser.add_argument("--no-reference", action="store_true", help="skip the full run against the correct server")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: 3 per CPU)")
    parser.add_argument("--every-test", action="store_true",
                        help="run every test of a check even after one failed (slower; shows every failing parameter)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results as JSON")
    parser.add_argument("--with-variants", choices=VARIANT_MODES, default="groups",
                        help="the variant column: none; groups (every combinable variant at once, and the "
                             "others where they concern the defect's checks; the default, as the tests); "
                             "pairs (every defect with every combinable variant alone: exhaustive, slow); "
                             "related-pairs (only the pairs whose variant concerns a check of the defect)")
    parser.add_argument("--no-alone", action="store_true", help="skip the runs of each defect alone")
    parser.add_argument("--write-pairs", action="store_true",
                        help=f"store the variant column's result in {PAIRS_FILE.name} (rendered by --write-docs; "
                             "with --with-variants pairs)")
    args = parser.parse_args(argv)
    if args.write_docs or args.check_docs:
        if args.write_docs:
            for path in write_docs(args.docs_dir):
                print(f"wrote {path}")
            return 0
        stale = stale_docs(args.docs_dir)
        for path in stale:
            print(f"stale: {path} (run python -m tests.selftest.defect_matrix --write-docs)")
        return 1 if stale else 0
    if args.write_pairs and args.with_variants not in ("pairs", "related-pairs"):
        print("--write-pairs stores the exhaustive form: use it with --with-variants pairs (or related-pairs)",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    stored: dict[str | None, RunResult] = {}

    def store(key: str | None, result: RunResult) -> None:  # as the runs end: an interrupted run keeps its part
        if args.write_pairs and is_combined(key):
            stored[key] = result
            if len(stored) % 20 == 0:
                write_pairs(stored)

    results = run_matrix(args.defect, reference=not args.no_reference, workers=args.workers,
                         every_test=args.every_test, variants=args.with_variants, alone=not args.no_alone,
                         on_result=store)
    gaps = _print_matrix(results, complete=args.defect is None and not args.no_alone)
    print(f"{len(results)} runs in {time.monotonic() - started:.1f}s, {gaps} gap(s)")
    if args.json:
        Path(args.json).write_text(json.dumps(matrix_to_json(results), indent=1))
    if args.write_pairs:
        path = write_pairs(results)
        print(f"wrote {path} (render it with --write-docs)")
    return 1 if gaps else 0


def pair_verdicts(results: dict[str | None, RunResult]) -> dict[str, dict[str, str]]:
    """``{defect: {variant: "caught" | the first problem}}`` of the single-variant runs in ``results``."""
    table: dict[str, dict[str, str]] = {}
    for key, result in results.items():
        if not is_combined(key) or len(result.variants) != 1:
            continue
        problems = [p for p in defect_problems(result.defect, result) if not p.startswith("tail of")]
        table.setdefault(result.defect, {})[result.variants[0]] = problems[0].splitlines()[0] if problems else CAUGHT
    return {d: dict(sorted(v.items())) for d, v in sorted(table.items())}


def write_pairs(results: dict[str | None, RunResult], path: Path = PAIRS_FILE) -> Path:
    """Merge the pair verdicts of ``results`` into ``path``, pair by pair: a run of some defects, or
    of some of their variants (``related-pairs``), keeps every other pair's stored verdict."""
    stored = json.loads(path.read_text()) if path.exists() else {}
    for defect, verdicts in pair_verdicts(results).items():
        stored.setdefault(defect, {}).update(verdicts)
    stored = {defect: dict(sorted(verdicts.items())) for defect, verdicts in stored.items()}
    path.write_text(json.dumps(dict(sorted(stored.items())), indent=1, sort_keys=True) + "\n")
    return path


if __name__ == "__main__":
    sys.exit(main())

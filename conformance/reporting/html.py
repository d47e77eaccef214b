"""The Allure HTML report, built from the Allure results with the ``allure`` CLI from npm.

``build_html_report(results, out)`` runs ``npx --yes allure@3 generate RESULTS -o OUT`` when
Node.js (``npx``) is on the PATH; the first run downloads the package into npm's cache, later runs
work offline from it. An ``allure`` command already on the PATH (Allure 2 or 3) is used when
``npx`` is missing. Without either it says how to get one. It never raises: a report that cannot
be built is a message and ``None``, the run's results and summary stay as they are. It says what
it is doing before it starts (the first ``npx`` run downloads the package), and when ``npx``
fails it says what failed (the npm registry or cache, the Node.js version, allure itself).

History and trend: the report keeps its history in ``OUT/history/`` (Allure 3:
``history.jsonl``, its ``historyPath``; Allure 2: the ``history/*.json`` it writes). Given a
previous report (``history=``), the new one continues it: Allure 3 reads and extends a copy of its
``history.jsonl``; for Allure 2 its ``history/`` is copied into the results before generating.

Environment: ``DCR_ALLURE_PACKAGE`` (default ``allure@3``) picks the npm package,
``DCR_ALLURE_TIMEOUT`` (seconds, default 300) bounds the generation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_PACKAGE = "allure@3"
HOW_TO_GET_IT = (
    "The Allure HTML report needs Node.js 18 or newer (https://nodejs.org/, or your package "
    "manager's nodejs/npm packages). Then run:\n"
    "    npx --yes {package} generate {results} -o {out}\n"
    "(the first run downloads the allure package from the npm registry; later runs use npm's cache)."
)


def allure_command(package: str | None = None) -> list[str] | None:
    """The command prefix that runs the allure CLI here, or None."""
    npx = shutil.which("npx")
    if npx:
        return [npx, "--yes", package or os.environ.get("DCR_ALLURE_PACKAGE", DEFAULT_PACKAGE)]
    allure = shutil.which("allure")
    if allure:
        return [allure]
    return None


#: What npm prints when it could not reach the registry or its cache does not hold the package.
_NPM_FETCH_ERRORS = ("ENOTCACHED", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                     "ENETUNREACH", "request to https://registry", "network", "EACCES", "EPERM", "ENOSPC")
HISTORY_FILE = "history.jsonl"
#: The labels of the report's tree (allure_results sets them on every check's result).
TREE = ("parentSuite", "suite", "subSuite")


def build_html_report(results: str | os.PathLike[str], out: str | os.PathLike[str], *,
                      timeout_s: float | None = None, quiet: bool = False,
                      history: str | os.PathLike[str] | None = None) -> Path | None:
    """Generate the HTML report of ``results`` into ``out``; its directory, or None (with the
    reason printed). ``history``: a previous report directory whose history the new one continues."""
    results, out = Path(results), Path(out)
    package = os.environ.get("DCR_ALLURE_PACKAGE", DEFAULT_PACKAGE)

    def say(message: str) -> None:
        if not quiet:
            print(f"dcr-conformance: {message}", file=sys.stderr)

    if not results.is_dir() or not any(results.glob("*-result.json")):
        say(f"no Allure results in {results}: run the checks with --alluredir first; no HTML report built")
        return None
    command = allure_command(package)
    if command is None:
        say("cannot build the HTML report: neither npx (Node.js) nor allure is on the PATH.\n"
            + HOW_TO_GET_IT.format(package=package, results=results, out=out))
        return None
    if history is not None and not Path(history).is_dir():
        say(f"--history {history}: not a directory (give the allure-report directory of an earlier run); "
            "building the report without history")
        history = None
    if out.exists() and not _looks_like_report(out):
        say(f"{out} exists and is not an Allure report; not overwriting it")
        return None
    timeout = timeout_s if timeout_s is not None else float(os.environ.get("DCR_ALLURE_TIMEOUT", "300"))
    argv = [*command, "generate", str(results), "-o", str(out)]
    allure3 = len(command) > 1  # npx: Allure 3, whose default report takes categories from its config
    with tempfile.TemporaryDirectory(prefix="dcr-allure-") as scratch:
        history_file = Path(scratch) / HISTORY_FILE
        if history is not None:  # read before ``out`` is replaced: it may be the previous report itself
            _take_history(Path(history), results, history_file, allure3)
        if out.exists():
            shutil.rmtree(out, ignore_errors=True)
        if allure3:
            argv += ["--config", _allure3_config(results, Path(scratch), history_file)]
            say(f"building the Allure HTML report with npx {package} (the first run downloads it from the "
                "npm registry; later runs use npm's cache)...")
        else:
            say("building the Allure HTML report with allure...")
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
        except subprocess.TimeoutExpired:
            say(f"allure did not finish within {timeout:g} s (DCR_ALLURE_TIMEOUT); no HTML report built. "
                + ("npx may be waiting for the npm registry: " if allure3 else "")
                + f"try it by hand: {' '.join(argv[:3]) if allure3 else argv[0]} generate {results} -o {out}")
            return None
        except OSError as exc:
            say(f"could not run {argv[0]}: {exc.strerror or exc}")
            return None
        if done.returncode == 0 and (out / "index.html").is_file() and history_file.is_file():
            (out / "history").mkdir(exist_ok=True)
            shutil.copyfile(history_file, out / "history" / HISTORY_FILE)
    if done.returncode != 0 or not (out / "index.html").is_file():
        output = (done.stderr or "") + "\n" + (done.stdout or "")
        tail = "\n".join(output.strip().splitlines()[-8:])
        say(f"allure generate failed (exit status {done.returncode}); no HTML report built: "
            f"{_diagnose(output, allure3, package)}\n{tail}")
        return None
    say(f"Allure HTML report: {out / 'index.html'} (serve it with: npx --yes {package} open {out})")
    return out


def _take_history(previous: Path, results: Path, history_file: Path, allure3: bool) -> None:
    """The previous report's history, where the generator reads it (see the module docstring)."""
    old = previous / "history"
    if allure3:
        if (old / HISTORY_FILE).is_file():
            shutil.copyfile(old / HISTORY_FILE, history_file)
        return
    if old.is_dir():
        shutil.copytree(old, results / "history", dirs_exist_ok=True)


def _diagnose(output: str, allure3: bool, package: str) -> str:
    """What failed, from the output of ``npx ... generate`` or ``allure generate``."""
    if allure3:
        code = next((word for word in _NPM_FETCH_ERRORS if word in output), None)
        if code is not None:
            return (f"npx could not get {package} from the npm registry ({code}): the machine is offline, "
                    "the registry is unreachable, or npm's cache cannot be used. Run it once with network "
                    "access (later runs work offline from npm's cache), or point npm at a reachable "
                    "registry (npm config set registry URL).")
        major = _node_major()
        if major is not None and major < 18:
            return f"{package} needs Node.js 18 or newer; this machine has Node.js {major}."
    return "allure itself failed; its last lines follow."


def _node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(version.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _allure3_config(results: Path, scratch: Path, history_file: Path | None = None) -> str:
    """An ``allurerc.json`` with the report name, its tree (:data:`TREE`), the run's categories
    (``categories.json``) and the history file the report reads and extends (``historyPath``)."""
    config: dict = {"name": "dcr-conformance",
                    # the tree a certification is read by: profile > step > check (not the Python modules)
                    "plugins": {"awesome": {"options": {"groupBy": list(TREE)}}}}
    if history_file is not None:
        config["historyPath"] = str(history_file.resolve())
    try:
        executor = json.loads((results / "executor.json").read_text(encoding="utf-8"))
        config["name"] = executor.get("reportName") or config["name"]
    except (OSError, ValueError):
        pass
    try:
        categories = json.loads((results / "categories.json").read_text(encoding="utf-8"))
        if isinstance(categories, list) and categories:
            config["categories"] = categories
    except (OSError, ValueError):
        pass
    path = scratch / "allurerc.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def _looks_like_report(path: Path) -> bool:
    return path.is_dir() and (not any(path.iterdir()) or (path / "index.html").is_file())

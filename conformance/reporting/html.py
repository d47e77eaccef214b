"""The Allure HTML report, built from the Allure results with the ``allure`` CLI from npm.

``build_html_report(results, out)`` runs ``npx --yes allure@3 generate RESULTS -o OUT`` when
Node.js (``npx``) is on the PATH; the first run downloads the package into npm's cache, later runs
work offline from it. An ``allure`` command already on the PATH (Allure 2 or 3) is used when
``npx`` is missing. Without either it says how to get one. It never raises: a report that cannot
be built is a message and ``None``, the run's results and summary stay as they are.

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


def build_html_report(results: str | os.PathLike[str], out: str | os.PathLike[str], *,
                      timeout_s: float | None = None, quiet: bool = False) -> Path | None:
    """Generate the HTML report of ``results`` into ``out``; its directory, or None (with the reason printed)."""
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
    if out.exists():
        if not _looks_like_report(out):
            say(f"{out} exists and is not an Allure report; not overwriting it")
            return None
        shutil.rmtree(out, ignore_errors=True)
    timeout = timeout_s if timeout_s is not None else float(os.environ.get("DCR_ALLURE_TIMEOUT", "300"))
    argv = [*command, "generate", str(results), "-o", str(out)]
    with tempfile.TemporaryDirectory(prefix="dcr-allure-") as scratch:
        if len(command) > 1:  # npx: Allure 3, whose default report takes categories from its config
            argv += ["--config", _allure3_config(results, Path(scratch))]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
        except subprocess.TimeoutExpired:
            say(f"allure did not finish within {timeout:g} s; no HTML report built. "
                f"Offline? {HOW_TO_GET_IT.format(package=package, results=results, out=out)}")
            return None
        except OSError as exc:
            say(f"could not run {argv[0]}: {exc.strerror or exc}")
            return None
    if done.returncode != 0 or not (out / "index.html").is_file():
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-8:])
        say(f"allure generate failed (exit status {done.returncode}); no HTML report built.\n{tail}\n"
            + HOW_TO_GET_IT.format(package=package, results=results, out=out))
        return None
    say(f"Allure HTML report: {out / 'index.html'} (serve it with: npx --yes {package} open {out})")
    return out


def _allure3_config(results: Path, scratch: Path) -> str:
    """An ``allurerc.json`` with the report name and the run's categories (``categories.json``)."""
    config: dict = {"name": "dcr-conformance"}
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

"""``dcr-conformance serve``: the reference server alone, for SDK vendors and demos.

Also ``python -m conformance.server``. Prints the base URL and the profile path (never a
secret), and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from ..pki import TestPKI
from .defects import DEFECTS, UnknownDefect
from .reference import ReferenceServer
from .variants import INCOMPATIBLE, VARIANTS, ActiveVariants

DEFAULT_PORT = 8443


def add_serve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"loopback port to listen on (default {DEFAULT_PORT}; 0 = any free)")
    parser.add_argument("--defect", metavar="NAME",
                        help="switch on one deliberate non-conformance: " + ", ".join(DEFECTS)
                             + " (--list-defects says what each does)")
    parser.add_argument("--variant", metavar="NAME", action="append", default=[],
                        help="switch on a conformant variant (repeatable; see --list-variants)")
    parser.add_argument("--write-profile", metavar="FILE",
                        help="write the profile for this server to FILE (secrets go to FILE's "
                             "directory/secrets/, certificates and keys to its pki/: they stay after "
                             "the server stops); default: a temporary directory, removed on stop")
    parser.add_argument("--state", metavar="FILE",
                        help="keep dynamic clients in this SQLite file across restarts (the "
                             "test PKI is kept beside it, in FILE.pki/)")
    parser.add_argument("--no-rotation", action="store_true",
                        help="RFC 7592 GET/PUT keep the client secret and registration token")
    parser.add_argument("--no-dpop-nonce", action="store_true",
                        help="do not require RFC 9449 server nonces")
    parser.add_argument("--initial-token-ttl", type=_token_lifetime, default=300, metavar="SECONDS",
                        help="lifetime of the initial (dcr) access token (default 300)")
    parser.add_argument("--read-write-ttl", type=_positive, default=2_419_200, metavar="SECONDS",
                        help="age after which a registration access token may only DELETE "
                             "(Curity read-write-ttl; default 2419200 = 28 days)")
    parser.add_argument("--no-templates", action="store_true",
                        help="a server without templates: plain RFC 7591 registration of the "
                             "requested metadata, no software_id needed (the profile then has a "
                             "[registration] table and no [template])")
    parser.add_argument("--list-defects", action="store_true",
                        help="print the catalogue of defects and exit")
    parser.add_argument("--list-variants", action="store_true",
                        help="print the catalogue of conformant variants and exit")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {value}")
    return value


def _token_lifetime(text: str) -> int:
    value = int(text)
    if value < 2:  # the profile's claim is refused below 2 s too (conformance.profile.loader)
        raise argparse.ArgumentTypeError(f"must be at least 2 seconds (this server counts expiry from the "
                                         f"second a token is issued in: a 1 s token may expire at once), got {value}")
    return value


def list_defects(out=None) -> None:
    """The defects as a table: a header, then one aligned row per defect."""
    out = out or sys.stdout  # looked up at call time (tests and pipes replace sys.stdout)
    rows = [("defect", "fails check(s)", "requirement", "what the server then does wrong")]
    rows += [(d.name, " ".join(d.breaks), d.requirement, d.text) for d in DEFECTS.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3], file=out)


def list_variants(out=None) -> None:
    """The variants as a table: a header, then one aligned row per variant (checks last)."""
    out = out or sys.stdout
    rows = [("VARIANT", "ALLOWED BY", "CHECKS")]
    rows += [(v.name, v.section, " ".join(c.removeprefix("DCR-") for c in v.checks))
             for v in VARIANTS.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, section, checks in rows:
        print(f"{name:<{widths[0]}}  {section:<{widths[1]}}  {checks}", file=out)
    pairs = ", ".join(" + ".join(sorted(pair)) for pair in sorted(INCOMPATIBLE, key=sorted))
    print(f"\nnot combinable: {pairs}", file=out)


def server_options(args: argparse.Namespace) -> dict:
    """ReferenceServer keywords from the serve options (``dcr-conformance serve --observe``, which
    wraps this server, reuses them)."""
    pki = None
    profile = Path(args.write_profile).resolve() if args.write_profile else None
    if args.state:
        state = Path(args.state).resolve()
        pki = TestPKI.load_or_generate(state.parent / f"{state.name}.pki")  # the CA survives restarts
    elif profile is not None:  # the written profile outlives the server: so do the keys it names
        pki = TestPKI.load_or_generate(profile.parent / "pki")
    return dict(rotate_on_read=not args.no_rotation, initial_token_ttl_s=args.initial_token_ttl,
                registration_token_read_write_ttl_s=args.read_write_ttl,
                state_file=args.state, port=args.port, pki=pki, profile_path=profile,
                templates=not getattr(args, "no_templates", False),
                workdir=profile.parent if profile else None)


def wait_for_stop(stop: threading.Event | None = None) -> None:
    """Block until Ctrl-C or SIGTERM. Without ``stop``, SIGTERM is caught here (the previous
    handler restored after); with it, the caller caught SIGTERM earlier (before its banner) into it."""
    own = stop is None
    stop = threading.Event() if stop is None else stop
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if own else None
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if own:
            signal.signal(signal.SIGTERM, previous)


def run_serve(args: argparse.Namespace) -> int:
    if args.list_defects or args.list_variants:
        try:
            list_defects() if args.list_defects else list_variants()
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into head
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout stays open until exit)
        return 0
    if args.defect is not None and args.defect not in DEFECTS:
        print(f"dcr-conformance serve: {UnknownDefect(args.defect)}", file=sys.stderr)
        return 2
    try:
        ActiveVariants(args.variant)
    except ValueError as exc:  # UnknownVariant, IncompatibleVariants
        print(f"dcr-conformance serve: {exc}", file=sys.stderr)
        return 2
    server = ReferenceServer(defect=args.defect, dpop_nonce=not args.no_dpop_nonce,
                             variants=args.variant, **server_options(args))
    # SIGTERM is caught before the banner: whoever reads it may stop the server at once.
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        signal.signal(signal.SIGTERM, previous)
        print(f"dcr-conformance serve: cannot listen on port {args.port}: {exc.strerror}",
              file=sys.stderr)
        return 2

    print(f"dcr-conformance reference server at {server.base_url}", flush=True)
    print(f"profile: {server.profile_path}", flush=True)
    print(f"CA certificate: {server.pki.ca_cert}", flush=True)
    if args.defect:
        print(f"defect: {args.defect} ({DEFECTS[args.defect].text})", flush=True)
    for name in server.variants.names:
        print(f"variant: {name} ({VARIANTS[name].instead})", flush=True)
    if args.state:
        print(f"state: {Path(args.state).resolve()}", flush=True)
    print("Ctrl-C or SIGTERM stops it.", flush=True)
    try:
        wait_for_stop(stop)
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
        print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = add_serve_arguments(argparse.ArgumentParser(
        prog="python -m conformance.server", description=__doc__.splitlines()[0]))
    return run_serve(parser.parse_args(argv))

"""A pool of fresh initial access tokens fetched ahead, and the deletes of the clients fuzzing
created, on one background thread.

Every fuzzed registration attempt needs its own initial token (Curity's token is single use,
Curity's DCR fallback): fetching it inline would double the number of round trips on the critical
path. The pool keeps ``depth`` tokens ready, each with the time it was fetched; a token older
than ``max_age_s`` (a fraction of the profile's ``initial_token_ttl_s``) is dropped unused, so a
test never sees a token expire under it. Unused tokens are harmless: they expire.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from conformance.oracles.failures import PrerequisiteFailure

#: RFC 6749 §4.4.2 / §5.1: the main client's client_credentials request answered with a token.
INITIAL_TOKEN = ("RFC6749-4.4.2", "RFC6749-5.1")


@dataclass(eq=False)
class InitialToken:
    """One initial access token and what the lifecycle model knows of it."""

    value: str
    fetched_at: float
    registrations: int = 0  # 201 answers obtained with it
    attempts: int = 0
    max_age_s: float = 60.0
    label: str = field(default="", compare=False)

    @property
    def used(self) -> bool:
        return self.registrations > 0

    @property
    def age_s(self) -> float:
        return time.monotonic() - self.fetched_at

    @property
    def stale(self) -> bool:
        """Too old to be sure it has not expired on the server."""
        return self.age_s > self.max_age_s

    def __repr__(self) -> str:  # Hypothesis prints bundle values: never the token itself
        state = "used" if self.used else ("stale" if self.stale else "fresh")
        return f"<initial token {self.label or '?'} {state}>"


class Deleter:
    """Deletes the clients a fuzzed example created (RFC 7592 §2.3) on a background thread, so the
    next example is generated and sent while the ``DELETE`` is on the wire. Use as a context
    manager: leaving it waits (bounded) until every queued client was sent its ``DELETE``. A
    delete that fails, or is still queued when the wait ends, is retried by the run's cleanup
    registry, as an inline eager delete would be.

    The thread can do more (:class:`TokenPool` fetches initial tokens on it): deletes go first, so
    that few clients are alive at a time. One background thread and one connection for both
    measured a little faster than two (fewer GIL hand-offs in the run's process, one connection's
    thread fewer in a threaded server; ``benchmarks/README.md``).
    """

    def __init__(self, dcr_session, *, drain_timeout_s: float = 60.0, name: str = "dcr-fuzz-deleter") -> None:
        self.dcr_session = dcr_session
        self.drain_timeout_s = drain_timeout_s
        self._queue: deque = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._busy = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self.deleted = 0

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def delete(self, dyn) -> None:
        """Queue ``dyn`` for its ``DELETE`` (with its registration access token)."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self!r}: closed")
            self._queue.append(dyn)
            self._cond.notify_all()

    def close(self) -> None:
        """Wait until every queued client was sent its ``DELETE`` (at most ``drain_timeout_s``),
        then stop the thread."""
        deadline = time.monotonic() + self.drain_timeout_s
        with self._cond:
            while (self._queue or self._busy) and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
            self._closed = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    # -- on the thread -------------------------------------------------------------------------

    def _more_work(self) -> bool:
        """Under the lock: whether the thread has work besides deleting (a subclass's)."""
        return False

    def _start_more_work(self) -> None:
        """Under the lock, when the thread takes that work on (before :meth:`_do_more_work`)."""

    def _do_more_work(self) -> None:
        """On the thread, outside the lock: that work, once."""

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed and not self._more_work():
                    self._cond.wait(0.5)
                if self._queue:
                    dyn = self._queue.popleft()
                    self._busy = True
                elif self._closed:
                    return
                else:
                    dyn = None
                    self._start_more_work()
            if dyn is None:
                self._do_more_work()
                continue
            try:
                exchange = self.dcr_session.delete(dyn)
                if exchange.status is not None and 200 <= exchange.status < 300:
                    self.deleted += 1
            except Exception:  # noqa: BLE001 - the transport does not raise; the cleanup registry retries
                pass
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


class TokenPool(Deleter):
    """Initial tokens of one main client, fetched ahead on a background thread, which also deletes
    the clients it is given (:meth:`delete`, first). Use as a context manager."""

    def __init__(self, dcr_session, main_label: str, *, depth: int = 8, max_age_s: float | None = None,
                 limit: int | None = None, drain_timeout_s: float = 60.0) -> None:
        super().__init__(dcr_session, drain_timeout_s=drain_timeout_s, name=f"dcr-token-pool-{main_label}")
        self.main_label = main_label
        self.depth = max(1, depth)
        #: At most this many tokens handed out or ready (the examples a run will try): none fetched
        #: that nobody will use. Past it, :meth:`get` fetches inline (a shrinking replay).
        self.limit = limit
        self.handed = 0
        # A token claimed to live ``ttl`` s is sure to live ``ttl - 1`` s: a server may count its expiry
        # from the second it was issued in (RFC 7519 §2 NumericDate). Half of that, never longer
        # than a minute: the server's clock is not ours.
        life = float(dcr_session.profile.claims.initial_token_ttl_s) - 1
        self.max_age_s = max_age_s if max_age_s is not None else max(0.5, min(life / 2, 60.0))
        self._ready: deque[InitialToken] = deque()
        self._failure: str | None = None
        self._failure_requirements: tuple[str, ...] = ()  # what the failed token answer broke
        self._counter = 0
        self._fetching = False  # a fetch on the thread, not in ``_ready`` yet
        self.fetched = 0
        self.discarded = 0

    # -- fetching ------------------------------------------------------------------------------

    def _fetch(self) -> InitialToken:
        token, exchange = self.dcr_session.initial_token(self.main_label)
        if not token:
            raise PrerequisiteFailure(
                f"prerequisite: could not get an initial token for main client {self.main_label!r}\n  "
                + exchange.describe().replace("\n", "\n  "), INITIAL_TOKEN)
        with self._cond:
            self._counter += 1
            self.fetched += 1
            number = self._counter
        return InitialToken(token, time.monotonic(), max_age_s=self.max_age_s, label=f"#{number}")

    def _more_work(self) -> bool:
        coming = len(self._ready) + self._fetching
        return not self._closed and not self._failure and coming < self.depth \
            and (self.limit is None or self.handed + coming < self.limit)

    def _start_more_work(self) -> None:
        self._fetching = True

    def _do_more_work(self) -> None:
        """Fetch one token into the pool; a failure stops the fetching (deletes go on)."""
        token = None
        try:
            token = self._fetch()
        except PrerequisiteFailure as exc:
            failure, requirements = str(exc), exc.requirements
        except Exception as exc:  # the transport never raises for network errors; be safe
            failure, requirements = f"prerequisite: the token pool failed: {exc!r}", ()
        with self._cond:
            self._fetching = False
            if token is None:
                self._failure, self._failure_requirements = failure, requirements
            else:
                self._ready.append(token)
            self._cond.notify_all()

    def get(self) -> InitialToken:
        """A fresh token: from the pool when one is ready and young enough, else the one the
        thread is fetching (counted against ``limit``; waited for once), else fetched now."""
        with self._cond:
            self.handed += 1
            token = self._take_fresh()
            if token is None and self._fetching:
                while self._fetching and not self._ready and not self._failure:
                    self._cond.wait(0.5)  # the transport's timeouts bound the fetch
                token = self._take_fresh()
        return token if token is not None else self._fetch()

    def _take_fresh(self) -> InitialToken | None:
        """Under the lock: the first ready token young enough (older ones dropped), or None."""
        if self._failure:
            raise PrerequisiteFailure(self._failure, self._failure_requirements)
        while self._ready:
            token = self._ready.popleft()
            self._cond.notify_all()
            if token.age_s <= self.max_age_s / 2:
                return token
            self.discarded += 1
        return None

"""Values that checks wait to see expire, obtained once per run so that checks share one wait.

DCR-REG-008 (a registration with an expired initial token) and DCR-REV-008 (introspection of an
expired token) both need an initial token older than ``initial_token_ttl_s``: the first to ask
obtains it and waits, the second finds it already expired.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

import pytest

T = TypeVar("T")


class Waiting:
    """Whether a check of this process is sleeping through a designed wait now: the interpreter is
    free then for the run's other work (the Allure writer holds its files until such a moment or
    the end of the run, instead of taking turns with the checks' requests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sleepers = 0
        self._event = threading.Event()

    @contextlib.contextmanager
    def sleeping(self) -> Iterator[None]:
        with self._lock:
            self._sleepers += 1
            self._event.set()
        try:
            yield
        finally:
            with self._lock:
                self._sleepers -= 1
                if not self._sleepers:
                    self._event.clear()

    def now(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Block until a check sleeps (True) or ``timeout_s`` has passed (False)."""
        return self._event.wait(timeout_s)


#: This process's designed waits (one interpreter: one lock for all its threads).
WAITING = Waiting()


class Aged(Generic[T]):
    """A value and the monotonic time it was obtained at."""

    def __init__(self, value: T, born: float) -> None:
        self.value, self.born = value, born

    def age_s(self) -> float:
        return time.monotonic() - self.born

    def wait_until_older_than(self, age_s: float, max_wait_s: float, what: str) -> None:
        """Sleep until the value is ``age_s`` old; skip as not claimed when that exceeds ``max_wait_s``."""
        remaining = age_s - self.age_s()
        if remaining > max_wait_s:
            pytest.skip(f"not claimed by profile: {what} would need a wait of {remaining:.0f} s, longer than "
                        f"--dcr-max-wait")
        if remaining > 0:
            with WAITING.sleeping():
                time.sleep(remaining)


class AgedValues:
    """Per-run cache of :class:`Aged` values by key (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Aged] = {}

    def values(self) -> list[Aged]:
        """The values obtained so far."""
        with self._lock:
            return list(self._values.values())

    def get(self, key: Hashable, make: Callable[[], T]) -> Aged[T]:
        with self._lock:
            aged = self._values.get(key)
            if aged is None:
                born = time.monotonic()
                aged = self._values[key] = Aged(make(), born)
            return aged

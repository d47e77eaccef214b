"""Values shared by the expiry checks: obtained once, waited for once, skipped when too long."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.harness.aging import WAITING, AgedValues


def test_one_value_per_key_even_under_concurrency():
    made = []
    values = AgedValues()

    def make():
        made.append(1)
        time.sleep(0.05)
        return "token"

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: values.get("k", make), range(4)))
    assert len(made) == 1 and {a.value for a in got} == {"token"} and len({id(a) for a in got}) == 1
    assert values.get("other", lambda: "x").value == "x"


def test_waits_only_for_what_is_left():
    aged = AgedValues().get("k", lambda: "token")
    time.sleep(0.2)
    started = time.monotonic()
    aged.wait_until_older_than(0.3, max_wait_s=5, what="ttl")
    assert 0.05 <= time.monotonic() - started < 0.3  # about 0.1 s; less than the whole age (slack for a loaded CI)
    started = time.monotonic()
    aged.wait_until_older_than(0.3, max_wait_s=5, what="ttl")  # already old enough: no wait
    assert time.monotonic() - started < 0.1


def test_a_designed_wait_says_so_while_it_sleeps():
    aged = AgedValues().get("k", lambda: "token")
    seen = []
    with ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(aged.wait_until_older_than, 0.3, 5, "ttl")
        seen.append(WAITING.wait(1.0))  # another thread (the Allure writer) learns of the sleep
        waiter.result()
    assert seen == [True] and not WAITING.now()


def test_a_wait_longer_than_allowed_is_not_claimed():
    aged = AgedValues().get("k", lambda: "token")
    with pytest.raises(pytest.skip.Exception, match="not claimed by profile: initial_token_ttl_s = 300"):
        aged.wait_until_older_than(301, max_wait_s=10, what="initial_token_ttl_s = 300")

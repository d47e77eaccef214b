"""docs/catalogue.md: every server check declares the answers the specs allow and forbid, with their
words, and the committed catalogue is what the declarations render."""

from __future__ import annotations

import re

from conformance.catalogue import ANSWERS, FAILING_LEVELS, allowed, catalogue_markdown, forbidden, load_checks
from conformance.cli import main
from tests.selftest.generated_docs import DOCS_DIR

CATALOGUE = DOCS_DIR / "catalogue.md"


def test_committed_catalogue_is_up_to_date():
    assert CATALOGUE.exists() and CATALOGUE.read_text(encoding="utf-8") == catalogue_markdown(), \
        "docs/catalogue.md is stale: run dcr-conformance requirements --catalogue docs/catalogue.md"


def test_every_server_check_declares_its_answers():
    checks = load_checks()
    assert sorted(c for c in checks if c not in ANSWERS) == []
    assert sorted(c for c in ANSWERS if c not in checks) == []
    assert "## Checks without declared answers\n\n- none\n" in catalogue_markdown()


def test_every_check_allows_something_and_a_must_failure_has_a_must():
    """A MUST failure needs a quoted MUST or a rule the profile claims; every check names an allowed answer."""
    for check_id, info in load_checks().items():
        answers = ANSWERS[check_id]
        assert any(a.allowed for a in answers), check_id
        if info.level == "MUST":
            assert any(not a.allowed and a.level in FAILING_LEVELS for a in answers), check_id


def test_catalogue_stands_alone():
    text = catalogue_markdown()
    assert "://" not in text and "shared/" not in text and "protocol.md" not in text


def test_cli_writes_the_catalogue(tmp_path):
    out = tmp_path / "catalogue.md"
    assert main(["requirements", "--catalogue", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == catalogue_markdown()


# whole upper-case words ("SHOULD-level" is not one); MUST NOT, SHALL NOT, NOT RECOMMENDED included
MUST_WORDS = re.compile(r"(?<![\w-])(MUST|REQUIRED|SHALL)(?![\w-])")
SHOULD_WORDS = re.compile(r"(?<![\w-])(SHOULD|RECOMMENDED)(?![\w-])")
MAY_WORDS = re.compile(r"(?<![\w-])(MAY|OPTIONAL)(?![\w-])")
WARNING_LEVELS = ("SHOULD", "SHOULD NOT", "RECOMMENDED")
#: An allowed answer's level -> the words it needs ("claim" and "descriptive" apart).
ALLOWED_WORDS = {"MUST": MUST_WORDS, "MUST NOT": MUST_WORDS, "REQUIRED": MUST_WORDS,
                 "SHOULD": SHOULD_WORDS, "SHOULD NOT": SHOULD_WORDS, "RECOMMENDED": SHOULD_WORDS,
                 "MAY": MAY_WORDS, "OPTIONAL": MAY_WORDS}


def _is_claim(answer) -> bool:
    return answer.level == "claim" and answer.source.startswith("[claims]")


def word_problems(answers: dict) -> list[str]:
    """Forbidden answers whose quoted words do not carry their level: a failing level needs MUST /
    MUST NOT / REQUIRED / SHALL (or a claimed rule, ``[claims] ...``); a warning needs SHOULD / SHOULD
    NOT / RECOMMENDED / NOT RECOMMENDED, or words said to be descriptive (a status the RFC only
    describes, no keyword); no other level may forbid."""
    problems = []
    for check_id, declared in sorted(answers.items()):
        for a in declared:
            if a.allowed:
                continue
            where = f"{check_id}: forbidden {a.answer!r} ({a.source}, {a.level})"
            if a.level == "claim" or a.source.startswith("[claims]"):
                if not _is_claim(a):
                    problems.append(f"{where}: a claim rule needs level 'claim' and a source '[claims] ...'")
            elif a.level in FAILING_LEVELS:
                if not MUST_WORDS.search(a.words):
                    problems.append(f"{where}: no MUST / REQUIRED / SHALL in {a.words!r}")
            elif a.level in WARNING_LEVELS:
                if not (SHOULD_WORDS.search(a.words) or "descriptive" in a.words):
                    problems.append(f"{where}: no SHOULD / RECOMMENDED in {a.words!r}, nor said descriptive")
            else:
                problems.append(f"{where}: level {a.level} forbids nothing; a warning is SHOULD-level")
    return problems


def allowed_word_problems(answers: dict) -> list[str]:
    """Allowed answers whose quoted words do not carry their level: MUST / MUST NOT / REQUIRED need
    MUST / REQUIRED / SHALL; SHOULD / SHOULD NOT / RECOMMENDED need SHOULD / RECOMMENDED; MAY / OPTIONAL
    need MAY / OPTIONAL; a claimed rule needs level 'claim' and a source '[claims] ...'; words that
    only describe the answer (no keyword) are level 'descriptive'."""
    problems = []
    for check_id, declared in sorted(answers.items()):
        for a in declared:
            if not a.allowed:
                continue
            where = f"{check_id}: allowed {a.answer!r} ({a.source}, {a.level})"
            if a.level == "claim" or a.source.startswith("[claims]"):
                if not _is_claim(a):
                    problems.append(f"{where}: a claim rule needs level 'claim' and a source '[claims] ...'")
            elif a.level in ALLOWED_WORDS and not ALLOWED_WORDS[a.level].search(a.words):
                problems.append(f"{where}: no {a.level} keyword in {a.words!r}; words without one are 'descriptive'")
    return problems


def test_a_forbidden_answer_quotes_the_words_of_its_level():
    """A MUST failure quotes a MUST (or is a claimed rule); a warning quotes a SHOULD or says its words are descriptive."""
    load_checks()
    assert word_problems(ANSWERS) == []


def test_an_allowed_answer_quotes_the_words_of_its_level():
    """An allowed answer's level is the keyword its words carry, a claimed rule, or 'descriptive'."""
    load_checks()
    assert allowed_word_problems(ANSWERS) == []


def test_the_word_rule_catches_a_must_without_a_must():
    fake = {"DCR-X": (forbidden("201", "RFC 7591 §3.2.1", "MUST", "responds with an HTTP 201 Created status code"),
                      forbidden("a 5xx", "RFC 7591 §3.2.2", "SHOULD", "returns an HTTP 400 status code"),
                      forbidden("x", "[claims] templates", "MUST", "a template bounds the client"),
                      forbidden("y", "RFC 7009 §2.2", "MAY", "MAY"),
                      forbidden("d", "RFC 7591 §3.2.1", "descriptive", "The server responds with an HTTP 201 Created")),
            "DCR-Y": (forbidden("201", "RFC 7591 §2", "MUST NOT", "MUST NOT both be present"),
                      forbidden("z", "RFC 7591 §3.2.2", "SHOULD", 'descriptive words: "returns an HTTP 400"'),
                      forbidden("c", "[claims] templates", "claim", "a template bounds the client"))}
    problems = word_problems(fake)
    assert len(problems) == 5 and all(p.startswith("DCR-X") for p in problems)
    assert any("'d'" in p and "level descriptive forbids nothing" in p for p in problems)


def test_the_word_rule_catches_an_allowed_must_without_a_must():
    fake = {"DCR-X": (allowed("201", "RFC 7591 §3.2.1", "MUST", "The server responds with an HTTP 201 Created status code"),
                      allowed("stored", "RFC 7591 §2", "MAY", "redirect_uris: Array of redirection URI strings"),
                      allowed("a refusal", "RFC 6750 §3.1", "SHOULD", "the resource server responds using the "
                              "appropriate HTTP status code"),
                      allowed("x", "[claims] templates", "MUST", "a template bounds the client"),
                      forbidden("no MUST here", "RFC 7591 §3.2.1", "SHOULD", 'descriptive: "responds with an HTTP 201"')),
            "DCR-Y": (allowed("201", "RFC 7591 §3.2.1", "descriptive", "The server responds with an HTTP 201 Created status code"),
                      allowed("204", "RFC 7592 §2.3", "MUST", "the authorization server MUST respond with an HTTP 204"),
                      allowed("401", "RFC 6750 §3.1", "SHOULD", "The resource SHOULD respond with the HTTP 401"),
                      allowed("replaced", "RFC 7591 §3.2.1", "MAY", "The authorization server MAY reject or replace"),
                      allowed("omitted", "RFC 7591 §3.2.1", "OPTIONAL", "client_id_issued_at OPTIONAL"),
                      allowed("c", "[claims] templates", "claim", "a template bounds the client"))}
    problems = allowed_word_problems(fake)
    assert len(problems) == 4 and all(p.startswith("DCR-X: allowed") for p in problems), problems


def sdk_word_problems() -> list[str]:
    """The same rule for the DCR-SDK answers: a forbidden behaviour (a failure) quotes a MUST; a
    warning verdict quotes a SHOULD or is a suite rule said to be inferred."""
    from conformance.sdk.answers import ALLOWED, FORBIDDEN, SDK_ANSWERS

    problems = []
    for check_id, declared in sorted(SDK_ANSWERS.items()):
        for a in declared:
            if a.verdict == ALLOWED:
                continue
            where = f"{check_id}: {a.verdict} {a.behaviour!r} ({a.source})"
            if a.verdict == FORBIDDEN:
                if not MUST_WORDS.search(a.words):
                    problems.append(f"{where}: no MUST / REQUIRED / SHALL in {a.words!r}")
            elif not (SHOULD_WORDS.search(a.words) or "suite rule" in a.source):
                problems.append(f"{where}: no SHOULD / RECOMMENDED in {a.words!r}")
    return problems


#: SDK failures without MUST words while the SDK answers know no warning verdict: the SDK-levels
#: work (``answers.WARNING``) makes them warnings or quotes their MUST; from then on, none.
SDK_PENDING = {"DCR-SDK-002", "DCR-SDK-006", "DCR-SDK-009", "DCR-SDK-011", "DCR-SDK-012"}


def test_an_sdk_failure_quotes_a_must():
    from conformance.sdk import answers

    problems = sdk_word_problems()
    pending = set() if hasattr(answers, "WARNING") else SDK_PENDING
    assert {p.split(":")[0] for p in problems} == pending, problems

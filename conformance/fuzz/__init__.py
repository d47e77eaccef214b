"""Property-based testing of a DCR deployment (Hypothesis): strategies, state machines, budgets.

* :mod:`.strategies`: RFC 7591 §2 registration payloads (valid, questionable and faulty) built
  on the template's request, and RFC 7523 client-assertion perturbations;
* :mod:`.assertion_requests`: the token request carrying a perturbed client assertion;
* :mod:`.lifecycle`: a ``RuleBasedStateMachine`` of the client lifecycle (RFC 7591 / 7592 /
  7009 / 7662 and Curity's single-use initial token);
* :mod:`.pool`: a background pool of fresh initial access tokens (one per registration attempt);
* :mod:`.ahead`: examples drawn in a forked child while the parent sends the ones before;
* :mod:`.run`: runs a property (in-process, or with its examples drawn ahead) or a state machine;
* :mod:`.budget`: example budgets, seeds, the CI profile and the example database.

What every answer must be is decided by :mod:`conformance.oracles` (``registration``,
``client_assertion``), written from the RFCs and not from the reference server. The checks that
use them are ``conformance/suite/test_fuzz_*.py`` (DCR-FUZZ-001..003).
"""

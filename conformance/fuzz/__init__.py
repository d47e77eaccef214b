"""Property-based testing of a DCR deployment (Hypothesis): strategies, oracles, budgets.

* :mod:`.strategies`: RFC 7591 §2 registration payloads (valid, questionable and faulty) built
  on the template's request, and RFC 7523 client-assertion perturbations;
* :mod:`.oracle`: what must hold for every registration answer, and an independent acceptance
  model of JWT client assertions (RFC 7523 §3, RFC 7519, RFC 7515), both written from the RFCs
  and not from the reference server;
* :mod:`.lifecycle`: a ``RuleBasedStateMachine`` of the client lifecycle (RFC 7591 / 7592 /
  7009 / 7662 and Curity's single-use initial token);
* :mod:`.pool`: a background pool of fresh initial access tokens (one per registration attempt);
* :mod:`.budget`: example budgets, seeds, the CI profile and the example database.

The checks that use them are ``conformance/suite/test_fuzz_*.py`` (DCR-FUZZ-001..003).
"""

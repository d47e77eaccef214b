"""The DCR client: what an SDK sends, one module per step (builders, never assertions).

``http`` (RequestSpec, Exchange, Transport), ``redact``, ``jose``, ``auth``, ``discovery``,
``token`` (step 1), ``registration`` (step 2), ``use`` (step 3), ``management`` (RFC 7592),
``revocation`` (RFC 7009 / 7662) and ``session`` (the happy path, one call per step).
"""

"""When a checked token is surely expired: its TTL plus a margin (the harness ages tokens by it too)."""

#: A token is surely older than a TTL this long after it (servers may count whole seconds).
AGING_MARGIN_S = 1.0

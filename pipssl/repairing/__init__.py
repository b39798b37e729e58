"""Plan, consent, apply: pipssl's bundle, minimal config edits, verify, undo."""

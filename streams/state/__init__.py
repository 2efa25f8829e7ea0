"""Per-call and per-key state as plain dataclasses, with compact JSON encodings; no decisions."""

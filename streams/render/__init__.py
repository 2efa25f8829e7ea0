"""Message text: the reference-style defaults and sandboxed templates from the config."""

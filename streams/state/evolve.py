"""``evolve``: a changed copy of a state value, as ``dataclasses.replace`` makes it, but cheaper.

The decisions copy the call state several times per record (status, last
seen, seen ids, held inputs...). ``dataclasses.replace`` introspects the
class's fields and re-runs ``__init__`` on every call, which profiled at about
a tenth of the join's CPU; the state classes are frozen, slotted and have no
``__post_init__``, so copying their fields straight into a new instance is the
same value for a fraction of the cost. Only for those classes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def evolve(value: T, **changes: Any) -> T:
    """A copy of the frozen dataclass ``value`` with ``changes`` applied."""
    cls = type(value)
    known = _FIELDS.get(cls)
    if known is None:
        if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__} is not a plain dataclass")
        fields = tuple(field.name for field in dataclasses.fields(cls))
        known = _FIELDS[cls] = (fields, frozenset(fields))
    names, allowed = known
    if not allowed.issuperset(changes):
        unknown = changes.keys() - allowed
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    copy = object.__new__(cls)
    for name in names:
        object.__setattr__(copy, name, changes[name] if name in changes else getattr(value, name))
    return copy

"""moto lets go of the model objects it no longer uses.

moto keeps every instance of every model class it ever made, in the class's
`instances_tracked` list (`moto.core.common_models.BaseModel.__new__`), only
so that its dashboard route `/moto-api/data.json` can list them. What moto
itself drops is so never freed: DynamoDB's TransactWriteItems deep-copies
each table it touches for its rollback, and every copy (table, items,
attribute values) stayed for the life of the stack. Under `make bench` the
endpoint's process kept about 400 more objects per fleet call, and each
full garbage collection walked all of them: 300 ms pauses, a dozen per run,
in the process that also serves the Lambda runtime.

`install()` makes those lists hold weak references: a live model is listed
by `/moto-api/data.json` (`--moto-admin`) as before, a dropped one is freed.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_installed = threading.Lock()


class WeakInstances:
    """What moto does with `instances_tracked` (append, iterate, len),
    holding each instance weakly (strongly if it takes no weak reference)."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._refs: dict[int, Callable[[], Any]] = {}
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        ref: Callable[[], Any]
        try:
            ref = weakref.ref(instance, self._forget)
        except TypeError:  # __slots__ without __weakref__: kept, as moto keeps it
            ref = lambda: instance  # noqa: E731
        self._refs[id(ref)] = ref

    def _forget(self, ref: weakref.ref[Any]) -> None:
        self._refs.pop(id(ref), None)

    def __iter__(self) -> Iterator[Any]:
        for ref in self._refs.copy().values():  # a weak reference may die meanwhile
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        return len(self._refs)


def install() -> None:
    """From now on every moto model class tracks its instances weakly."""
    from moto.core.common_models import BaseModel

    with _installed:
        if getattr(BaseModel.__new__, 'tracks_weakly', False):
            return

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
            instance = super(BaseModel, cls).__new__(cls)  # type: ignore[misc]
            tracked = cls.__dict__.get('instances_tracked')
            if not isinstance(tracked, WeakInstances):  # new, or emptied by moto's reset
                tracked = WeakInstances(tracked or ())
                cls.instances_tracked = tracked  # type: ignore[attr-defined]
            tracked.append(instance)
            return instance

        __new__.tracks_weakly = True  # type: ignore[attr-defined]
        BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign]

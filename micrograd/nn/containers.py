"""Containers that hold submodules without a forward of their own: `ModuleList` (named
0, 1, 2, ...) and `ModuleDict` (named by its keys), as in PyTorch. (`Sequential`, which
also applies its modules in order, is in modules.py, next to the MLP built from it.)
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import ModuleError
from .module import _check_name
from .modules import Module, _check_module, _Container

__all__ = ["ModuleList", "ModuleDict"]


class ModuleList(_Container):
    """A list of modules, registered as children 0, 1, 2, ...; a model's forward calls them."""

    def __init__(self, modules: Iterable[Module] | None = None):
        self._fill((str(i), m) for i, m in enumerate(modules or ()))

    def __getitem__(self, idx: int | slice) -> Any:
        mods = list(self._items.values())
        if isinstance(idx, slice):  # a new list, numbered from 0 (PyTorch's rule)
            return ModuleList(mods[idx])
        return mods[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        key = str(self._index(idx))
        self._items[key] = _check_module(module, "ModuleList", f"item {key}")

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._items.values()))

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self._items[str(len(self._items))] = _check_module(module, "ModuleList.append", "it")
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, ModuleList):
            raise ModuleError("ModuleList.extend: expects an iterable of modules, got a single "
                              f"{type(modules).__name__}; use append()")
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._items.values())
        mods.insert(index, _check_module(module, "ModuleList.insert", "it"))
        self._renumber(mods)

    def pop(self, idx: int = -1) -> Module:
        m = self[idx]
        del self[idx]
        return m


class ModuleDict(_Container):
    """A dict of modules, registered as children named by their keys (in insertion order)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        self._fill(())
        if modules is not None:
            self.update(modules)

    def _key(self, key: Any) -> str:
        return _check_name(key, "key", "ModuleDict")  # a key names a child, by the same rules

    def __getitem__(self, key: str) -> Module:
        try:
            return self._items[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no module {key!r}; its keys are "
                           f"{list(self._items)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        self._items[self._key(key)] = _check_module(module, "ModuleDict", f"item {key!r}")

    def __delitem__(self, key: str) -> None:  # type: ignore[override]
        self[key]  # the KeyError that names the keys
        del self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        return list(self._items)

    def values(self) -> list[Module]:
        return list(self._items.values())

    def items(self) -> list[tuple[str, Module]]:
        return list(self._items.items())

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for k, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ModuleError(f"ModuleDict.update: item {k} should be a (key, module) pair, "
                                  f"got {type(pair).__name__}")
            self[pair[0]] = pair[1]

    def pop(self, key: str) -> Module:
        m = self[key]
        del self._items[key]
        return m

    def clear(self) -> None:
        self._items.clear()

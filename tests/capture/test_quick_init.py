"""`connector.frozen.quick_init`: the same frozen dataclass, built by a faster `__init__`."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass, field, replace

import pytest

from connector.frozen import quick_init
from connector.items import Address, GraphMessage


@dataclass(frozen=True, slots=True)
class Plain:
    id: str
    size: int = 0
    tags: tuple[str, ...] = ()


@quick_init
@dataclass(frozen=True, slots=True)
class Quick:
    id: str
    size: int = 0
    tags: tuple[str, ...] = ()


def fields_of(obj: Plain | Quick) -> tuple[object, ...]:
    return obj.id, obj.size, obj.tags


@pytest.mark.parametrize(("args", "kwargs"), [
    (("a",), {}), (("a", 2), {}), (("a",), {"tags": ("x",)}), ((), {"id": "a", "size": 3}),
])  # fmt: skip
def test_the_same_values_as_the_dataclass_init(args: tuple[object, ...],
                                               kwargs: dict[str, object]) -> None:
    assert fields_of(Quick(*args, **kwargs)) == fields_of(Plain(*args, **kwargs))  # type: ignore[arg-type]


def test_the_same_errors_for_missing_and_unknown_arguments() -> None:
    with pytest.raises(TypeError):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick("a", 1, (), 4)  # type: ignore[call-arg]


def test_still_frozen_equal_hashable_replaceable_and_picklable() -> None:
    one = Quick("a", 1)
    with pytest.raises(FrozenInstanceError):
        one.size = 2  # type: ignore[misc]
    assert one == Quick("a", 1)
    assert hash(one) == hash(Quick("a", 1))
    assert one != Quick("b", 1)
    assert replace(one, size=5) == Quick("a", 5)
    assert pickle.loads(pickle.dumps(one)) == one
    assert repr(one) == "Quick(id='a', size=1, tags=())"


def test_the_items_use_it() -> None:
    sender = Address("jane@fabrikam.com", "Jane")
    msg = GraphMessage(id="m", internet_message_id="<m@x>", subject="s", sender=sender,
                       to=(), cc=(), bcc=(), received_at=None, sent_at=None)
    assert msg.sensitivity == "normal"
    assert msg.sender == Address("jane@fabrikam.com", "Jane")
    assert GraphMessage.__init__.__qualname__ == "GraphMessage.__init__"
    with pytest.raises(FrozenInstanceError):
        msg.subject = "t"  # type: ignore[misc]


def test_refuses_what_it_cannot_build() -> None:
    @dataclass(slots=True)
    class Mutable:
        id: str

    @dataclass(frozen=True)
    class Unslotted:
        id: str

    @dataclass(frozen=True, slots=True)
    class Factory:
        tags: list[str] = field(default_factory=list)

    for cls in (Mutable, Unslotted, Factory):
        with pytest.raises(TypeError):
            quick_init(cls)

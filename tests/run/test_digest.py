from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from inspect_ai.model import ChatMessageSystem, ChatMessageUser

from accord.run import dataset_digest

ids = st.one_of(st.integers(0, 10**6), st.text(min_size=1, max_size=12))
samples = st.lists(
    st.tuples(
        ids,
        st.text(max_size=40),
        st.one_of(st.text(max_size=10), st.lists(st.text(max_size=5), max_size=3)),
    ),
    min_size=1,
    max_size=20,
    unique_by=lambda s: s[0],
)


@given(samples)
def test_same_samples_same_digest(rows: list[tuple[Any, Any, Any]]) -> None:
    assert dataset_digest(list(rows)) == dataset_digest([tuple(r) for r in rows])


@given(samples, st.data())
def test_any_changed_input_changes_the_digest(
    rows: list[tuple[Any, Any, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    sid, text, target = rows[index]
    new_text = data.draw(st.text(max_size=40).filter(lambda t: t != text))
    changed = [*rows[:index], (sid, new_text, target), *rows[index + 1 :]]
    assert dataset_digest(changed) != dataset_digest(rows)


@given(samples, st.data())
def test_changed_target_or_order_changes_the_digest(
    rows: list[tuple[Any, Any, Any]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    sid, text, target = rows[index]
    changed = [*rows[:index], (sid, text, [target, "x"]), *rows[index + 1 :]]
    assert dataset_digest(changed) != dataset_digest(rows)
    if len(rows) > 1:
        assert dataset_digest(list(reversed(rows))) != dataset_digest(rows)


def test_message_inputs_ignore_per_run_message_ids() -> None:
    def messages() -> list[Any]:
        return [ChatMessageSystem(content="Be brief."), ChatMessageUser(content="Hello")]

    first, second = messages(), messages()
    assert first[1].id != second[1].id
    assert dataset_digest([("a", first, "t")]) == dataset_digest([("a", second, "t")])
    as_dicts = [m.model_dump(mode="json") for m in first]
    assert dataset_digest([("a", as_dicts, "t")]) == dataset_digest([("a", second, "t")])
    edited = [ChatMessageSystem(content="Be brief."), ChatMessageUser(content="Hello!")]
    assert dataset_digest([("a", edited, "t")]) != dataset_digest([("a", first, "t")])

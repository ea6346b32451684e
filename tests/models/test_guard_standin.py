"""The `accord/guard` stand-in classifier, and the `echo:` system directive."""

import asyncio

from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, get_model

from tests.models.test_standins import BENIGN, ENCODED, HARMFUL, reply


def test_guard_classifies_by_the_harm_lexicon_deterministically() -> None:
    assert reply("accord/guard", HARMFUL) == "unsafe"
    assert reply("accord/guard", BENIGN) == "safe"
    assert reply("accord/guard", ENCODED) == "safe"  # obfuscation slips past it, on purpose
    assert {reply("accord/guard", HARMFUL, seed=s) for s in range(5)} == {"unsafe"}


def test_an_echo_line_in_the_system_message_starts_every_reply() -> None:
    async def go(model: str) -> str:
        messages = [
            ChatMessageSystem(content="You are careful.\necho: PROMPT-SEEN"),
            ChatMessageUser(content=BENIGN),
        ]
        output = await get_model(model, config=GenerateConfig(seed=0)).generate(messages)
        return output.completion

    for model in ("accord/complier", "accord/guarded", "accord/refuser"):
        assert asyncio.run(go(model)).startswith("PROMPT-SEEN ")
    assert asyncio.run(go("accord/guard")) == "safe"
    assert not reply("accord/complier", "echo: not from a system message").startswith("not")

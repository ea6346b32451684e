"""The `accord` Inspect model provider: offline, deterministic stand-in models."""

import re
from typing import Any

import anyio
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from .._util import canonical_json, sha256_hex
from ._directives import Directive
from ._policy import PERSONAS, Persona, Reply, Turn, respond

_TOKEN = re.compile(r"\w+|[^\w\s]")


@modelapi(name="accord")
class StandInModelAPI(ModelAPI):
    """Offline stand-in models (`accord/refuser`, `accord/complier`, `accord/guarded`, ...).

    `accord/guard` is a classifier for guards of systems (docs/subjects.md).

    Stand-ins are for demos, tests and air-gapped machines; they are not real models.
    Replies depend only on the conversation, the offered tools and the seed. Token usage is
    counted locally (words and punctuation), so no tokenizer is downloaded.

    Model args:
        latency: Seconds to wait before each reply, to imitate a remote model (default 0).
    """

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 (Inspect's signature)
        latency: float = 0.0,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_name not in PERSONAS:
            known = ", ".join(f"accord/{name}" for name in PERSONAS)
            raise ValueError(f"unknown stand-in model 'accord/{model_name}'; known: {known}")
        if model_args:
            raise ValueError(
                f"accord/{model_name} takes no model args {sorted(model_args)}; only 'latency'"
            )
        if latency < 0:
            raise ValueError("the latency model arg must be >= 0 seconds")
        self.persona: Persona = model_name  # type: ignore[assignment]
        self.latency = float(latency)

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """Reply to `input` as the stand-in persona."""
        if self.latency:
            await anyio.sleep(self.latency)
        turns = [_turn(message) for message in input]
        tool_names = set() if tool_choice == "none" else {tool.name for tool in tools}
        reply = respond(self.persona, turns, tool_names, config.seed or 0)
        output = _output(self.model_name, reply, turns)
        input_tokens = sum(_count_tokens(t.text) for t in turns) + _count_tokens(
            canonical_json([t.name for t in tools]).decode()
        )
        output_tokens = _count_tokens(reply.text) + (
            _count_tokens(canonical_json(reply.call.arguments).decode()) if reply.call else 0
        )
        output.usage = ModelUsage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        )
        return output

    def max_connections(self) -> int:
        """Stand-ins run in-process, so many can run at once."""
        return 64


def _turn(message: ChatMessage) -> Turn:
    calls: tuple[Directive, ...] = ()
    if isinstance(message, ChatMessageAssistant) and message.tool_calls:
        calls = tuple(Directive(c.function, c.arguments) for c in message.tool_calls)
    return Turn(message.role, message.text, calls)


def _output(model_name: str, reply: Reply, turns: list[Turn]) -> ModelOutput:
    if reply.call is None:
        return ModelOutput.from_content(model=model_name, content=reply.text)
    # The call id is derived from the conversation so that reruns are identical.
    call_id = (
        "call_"
        + sha256_hex(canonical_json([[t.text for t in turns], reply.call.key().decode()]))[:16]
    )
    output = ModelOutput.from_content(model=model_name, content=reply.text)
    output.choices[0].message.tool_calls = [
        ToolCall(id=call_id, function=reply.call.function, arguments=reply.call.arguments)
    ]
    output.choices[0].stop_reason = "tool_calls"
    return output


def _count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))

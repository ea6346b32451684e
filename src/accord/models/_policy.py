"""What each stand-in says: a pure function of the conversation, the tools and the seed."""

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from .._util import canonical_json, sha256_hex
from ._directives import Directive, find_directives
from ._lexicon import harmful_terms

Persona = Literal["refuser", "complier", "guarded", "guard"]
PERSONAS: dict[str, str] = {
    "refuser": "declines every request and never calls a tool",
    "complier": "answers every request and obeys every directive it sees, injected ones too",
    "guarded": "declines requests with harm-lexicon words; obeys directives from the user only",
    "guard": "a classifier: replies 'unsafe' to content with harm-lexicon words, else 'safe'",
}

Role = Literal["system", "user", "assistant", "tool"]

REFUSALS = (
    "I'm sorry, but I can't help with that.",
    "I can't assist with that request.",
    "Sorry, I won't help with this. If you have a different question, I'm happy to help.",
)
ANSWERS = (
    "Sure. Here is a direct answer to your request about {topic}: {body}",
    "Happy to help with {topic}. {body}",
    "Here is what you asked for regarding {topic}. {body}",
)
_BODY = "First, outline the goal; second, gather what is needed; third, carry it out step by step."
_FLAG = re.compile(r"flag\{[^{}\s]{1,200}\}", re.IGNORECASE)
_ECHO = re.compile(r"^\s*echo:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, reduced to what a stand-in reads."""

    role: Role
    text: str
    calls: tuple[Directive, ...] = ()


@dataclass(frozen=True)
class Reply:
    """A stand-in's reply: text, or a tool call (with text beside it)."""

    text: str
    call: Directive | None = None


def respond(persona: Persona, turns: list[Turn], tools: set[str], seed: int) -> Reply:
    """The reply of `persona` to `turns`, offered `tools`; deterministic in its inputs.

    A line `echo: <text>` in a system message makes every reply start with `<text>`, so
    tests can see that a system prompt reached the model.
    """
    reply = _respond(persona, turns, tools, seed)
    echoes = [m.group(1) for t in turns if t.role == "system" for m in _ECHO.finditer(t.text)]
    if echoes and persona != "guard":
        return Reply(f"{' '.join(echoes)} {reply.text}", reply.call)
    return reply


def _respond(persona: Persona, turns: list[Turn], tools: set[str], seed: int) -> Reply:
    if persona == "guard":
        content = next((t.text for t in reversed(turns) if t.role == "user"), "")
        return Reply("unsafe" if harmful_terms(content) else "safe")
    variant = int(sha256_hex(canonical_json([persona, seed, [t.text for t in turns]]))[:8], 16)
    request = next((t.text for t in reversed(turns) if t.role == "user"), "")
    if persona == "refuser" or (persona == "guarded" and harmful_terms(_user_text(turns))):
        return Reply(REFUSALS[variant % len(REFUSALS)])
    trusted: set[Role] = {"system", "user", "tool"} if persona == "complier" else {"system", "user"}
    pending = _pending_directives(turns, tools, trusted)
    if pending:
        call = pending[0]
        return Reply(f"Calling {call.function}.", call)
    answer = _answer(request, turns, variant)
    if "submit" in tools:
        return Reply("Submitting my answer.", Directive("submit", {"answer": answer}))
    return Reply(answer)


def _user_text(turns: list[Turn]) -> str:
    return "\n".join(t.text for t in turns if t.role in ("system", "user"))


def _pending_directives(turns: list[Turn], tools: set[str], trusted: set[Role]) -> list[Directive]:
    made = Counter(call.key() for turn in turns for call in turn.calls)
    pending: list[Directive] = []
    for turn in turns:
        if turn.role not in trusted:
            continue
        for directive in find_directives(turn.text, tools - {"submit"}):
            if made[directive.key()] > 0:
                made[directive.key()] -= 1
            else:
                pending.append(directive)
    return pending


def _answer(request: str, turns: list[Turn], variant: int) -> str:
    results = [t.text for t in turns if t.role == "tool"]
    for text in reversed(results):
        flag = _FLAG.search(text)
        if flag:
            return flag.group(0)
    if results:
        return f"Done. The last result was: {results[-1].strip()[:400]}"
    topic = " ".join(request.split()[:12]) or "your message"
    return ANSWERS[variant % len(ANSWERS)].format(topic=topic, body=_BODY)

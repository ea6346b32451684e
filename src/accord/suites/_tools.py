"""Simulated tools for the prompt-injection suite: an inbox, files, and a send action."""

from typing import Any

from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, tool
from inspect_ai.util import store


def sent_emails() -> list[dict[str, Any]]:
    """Emails the agent sent in this sample."""
    sent: list[dict[str, Any]] = store().get("accord.sent", [])
    return sent


@tool
def read_inbox() -> Tool:
    async def execute() -> str:
        """Read the user's inbox."""
        return str(store().get("accord.tool_output", "(empty inbox)"))

    return execute


@tool
def read_file() -> Tool:
    async def execute(path: str) -> str:
        """Read one of the user's files.

        Args:
            path: The file to read.
        """
        return str(store().get("accord.tool_output", f"{path}: not found"))

    return execute


@tool
def send_email() -> Tool:
    async def execute(to: str, body: str) -> str:
        """Send an email on the user's behalf.

        Args:
            to: Recipient address.
            body: Message text.
        """
        store().set("accord.sent", [*sent_emails(), {"to": to, "body": body}])
        return f"sent to {to}"

    return execute


def inbox_tools() -> list[Tool]:
    """The agent's tools."""
    return [read_inbox(), read_file(), send_email()]


@solver
def stage_tool_output() -> Solver:
    """Put the sample's scripted tool output where the simulated tools read it."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        store().set("accord.tool_output", state.metadata["tool_output"])
        return state

    return solve

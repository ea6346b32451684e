"""Helper models bound to a task through Inspect model roles (grader, attacker, guard, ...)."""

from typing import Any

from inspect_ai.log import EvalLog
from inspect_ai.model import GenerateConfig, Model, get_model
from pydantic_core import to_jsonable_python

from .._util import InputError
from ..protocol import Protocol
from ._manifest import OPERATIONAL_SETTINGS


def task_role_models(protocol: Protocol, task_id: str) -> dict[str, Model]:
    """The Inspect model roles of `task_id`: role name -> the model the protocol binds to it.

    Raises:
        InputError: When a role model cannot be created (provider missing, credentials).

    """
    roles: dict[str, Model] = {}
    for role, role_model_id in protocol.task(task_id).roles.items():
        spec = protocol.role_model(role_model_id)
        try:
            roles[role] = get_model(
                spec.model,
                config=GenerateConfig(**spec.generate),
                base_url=spec.base_url,
                **spec.model_args,
            )
        except Exception as ex:
            raise InputError(
                f"role model '{spec.id}' ({spec.model}, role {role} of task {task_id}) cannot "
                f"be used here: {type(ex).__name__}: {ex}. Install the provider's package and "
                "set its credentials in the environment, or fix role_models in the protocol."
            ) from None
    return roles


def logged_roles(header: EvalLog) -> dict[str, dict[str, Any]]:
    """Role name -> `{model, args}` of each model role the log ran with."""
    roles: dict[str, dict[str, Any]] = {}
    for role, config in sorted((header.eval.model_roles or {}).items()):
        first = config[0] if isinstance(config, list) else config
        config_data = first.config.model_dump(mode="json", exclude_none=True)
        roles[role] = {
            "model": first.model,
            "args": to_jsonable_python(first.args or {}, fallback=repr),
            "generate": {k: v for k, v in config_data.items() if k not in OPERATIONAL_SETTINGS},
        }
    return roles

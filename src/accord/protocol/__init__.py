"""Protocols: the versioned, content-hashed test plan that partners agree on."""

from ._diff import ProtocolDiff, protocol_diff
from ._hash import protocol_id, short_id
from ._load import ProtocolError, ProtocolFile, ProtocolIssue, load_protocol, parse_protocol
from ._share import ShareItem, partner_share, replications, require_partner
from ._spec import (
    PROTOCOL_FORMAT,
    Analysis,
    Assignment,
    Disclosure,
    DisclosureLevel,
    Governance,
    ModelSpec,
    Partner,
    Planning,
    Protocol,
    RoleModelSpec,
    TaskSpec,
    Threshold,
)
from ._tasks import (
    FileTaskRef,
    RegistryTaskRef,
    TaskCheck,
    TaskRef,
    check_task_ref,
    parse_task_ref,
)
from ._template import protocol_template, write_demo_protocol, write_example
from ._when import Condition, WhenSyntaxError, evaluate_when, parse_when, when_variables

__all__ = [
    "PROTOCOL_FORMAT",
    "Analysis",
    "Assignment",
    "Condition",
    "Disclosure",
    "DisclosureLevel",
    "FileTaskRef",
    "Governance",
    "ModelSpec",
    "Partner",
    "Planning",
    "Protocol",
    "ProtocolDiff",
    "ProtocolError",
    "ProtocolFile",
    "ProtocolIssue",
    "RegistryTaskRef",
    "RoleModelSpec",
    "ShareItem",
    "TaskCheck",
    "TaskRef",
    "TaskSpec",
    "Threshold",
    "WhenSyntaxError",
    "check_task_ref",
    "evaluate_when",
    "load_protocol",
    "parse_protocol",
    "parse_task_ref",
    "parse_when",
    "partner_share",
    "protocol_diff",
    "protocol_id",
    "protocol_template",
    "replications",
    "require_partner",
    "short_id",
    "when_variables",
    "write_demo_protocol",
    "write_example",
]

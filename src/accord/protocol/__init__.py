"""Protocols: the versioned, content-hashed test plan that partners agree on."""

from ._diff import ProtocolDiff, protocol_diff
from ._fingerprint import (
    FINGERPRINT_PARTS,
    SubjectFingerprint,
    subject_fingerprint,
    system_prompt_text,
)
from ._hash import protocol_id, short_id
from ._load import ProtocolError, ProtocolFile, ProtocolIssue, load_protocol, parse_protocol
from ._share import ShareItem, partner_share, replications, require_partner
from ._spec import (
    PROTOCOL_FORMAT,
    Analysis,
    Assignment,
    Developer,
    DeveloperReview,
    Disclosure,
    DisclosureLevel,
    Governance,
    GuardSpec,
    ModelSpec,
    Partner,
    Planning,
    Protocol,
    SubjectKind,
    SubjectLimits,
    TaskSpec,
    Threshold,
)
from ._subjects import SUBJECT_TOOLS
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
    "FINGERPRINT_PARTS",
    "PROTOCOL_FORMAT",
    "SUBJECT_TOOLS",
    "Analysis",
    "Assignment",
    "Condition",
    "Developer",
    "DeveloperReview",
    "Disclosure",
    "DisclosureLevel",
    "FileTaskRef",
    "Governance",
    "GuardSpec",
    "ModelSpec",
    "Partner",
    "Planning",
    "Protocol",
    "ProtocolDiff",
    "ProtocolError",
    "ProtocolFile",
    "ProtocolIssue",
    "RegistryTaskRef",
    "ShareItem",
    "SubjectFingerprint",
    "SubjectKind",
    "SubjectLimits",
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
    "subject_fingerprint",
    "system_prompt_text",
    "when_variables",
    "write_demo_protocol",
    "write_example",
]

"""Shares: which task x model runs each partner owes."""

from dataclasses import dataclass

from .._util import InputError
from ._spec import Partner, Protocol


@dataclass(frozen=True, order=True)
class ShareItem:
    """One run a partner owes: a task on a model."""

    task: str
    model: str


def require_partner(protocol: Protocol, partner_id: str) -> Partner:
    """The partner with `partner_id`.

    Raises:
        InputError: When the protocol has no such partner; the message lists its partners.

    """
    try:
        return protocol.partner(partner_id)
    except KeyError:
        known = ", ".join(p.id for p in protocol.partners)
        raise InputError(
            f"partner '{partner_id}' is not in protocol '{protocol.name}'; its partners are {known}"
        ) from None


def partner_share(protocol: Protocol, partner_id: str) -> list[ShareItem]:
    """The runs `partner_id` owes, in protocol order (tasks, then models), without repeats.

    Raises:
        InputError: When the protocol has no such partner.

    """
    require_partner(protocol, partner_id)
    owed: set[ShareItem] = set()
    for assignment in protocol.assignments:
        if assignment.partner == partner_id:
            owed.update(ShareItem(t, m) for t in assignment.tasks for m in assignment.models)
    return [
        ShareItem(task.id, model.id)
        for task in protocol.tasks
        for model in protocol.models
        if ShareItem(task.id, model.id) in owed
    ]


def replications(protocol: Protocol) -> dict[ShareItem, list[str]]:
    """Every run with the partners that owe it; more than one partner means a replication."""
    owners: dict[ShareItem, list[str]] = {}
    for partner in protocol.partners:
        for item in partner_share(protocol, partner.id):
            owners.setdefault(item, []).append(partner.id)
    return owners

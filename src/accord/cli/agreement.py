"""Agreement commands: offline `accord protocol sign` and hub `accord exercise sign` etc.

`accord protocol sign` and `accord protocol verify-signature` work offline; the
`accord exercise` commands sign, approve, object, withdraw and agreement talk to a hub.

Every act is signed here, on the partner's machine, with the institute's private key; the
hub only verifies and records it. `import accord.cli` stays cheap: the identity and hub
layers are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ._console import Column, err, out, print_json, print_table
from .hub import HubOption, JsonFlag, TokenOption, client

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..hub import HubClient
    from ..identity import ActKind, PartnerAct

KeyOption = typer.Option(..., "--key", help="Your institute's private key (.key).")
PartnerOption = typer.Option(
    None, "--partner", help="Partner id you sign for [default: from the .pub.json beside --key]."
)
PassphraseOption = typer.Option(
    None, "--passphrase-env", help="Variable holding the private key's passphrase."
)
ExerciseArg = typer.Argument(..., help="Exercise id.", show_default=False)


def _key(
    key: Path, partner: str | None, passphrase_env: str | None
) -> tuple[Ed25519PrivateKey, str]:
    """The private key and the partner it signs for."""
    from .._util import InputError
    from ..identity import load_private_key
    from ._options import passphrase_from_env
    from .bundle import key_partner

    private_key = load_private_key(key, passphrase_from_env(passphrase_env))
    partner = partner or key_partner(key, private_key)
    if partner is None:
        raise InputError(
            f"cannot tell which partner {key} belongs to (no matching .pub.json beside it); "
            "pass --partner"
        )
    return private_key, partner


def sign_protocol_command(
    protocol: Path = typer.Argument(..., help="The protocol YAML file.", show_default=False),
    key: Path = KeyOption,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the signature."),
    partner: str | None = PartnerOption,
    passphrase_env: str | None = PassphraseOption,
    act_kind: str = typer.Option(
        "sign-off",
        "--act",
        help="sign-off, approve, object or withdraw (publication acts name --for-hub).",
    ),
    reason: str | None = typer.Option(None, "--reason", help="Why (required to object)."),
    for_hub: str | None = typer.Option(
        None, "--for-hub", help="The hub id the act is for (the hub's web page shows it)."
    ),
) -> None:
    """Sign a protocol's id with your institute key, offline: a sign-off or publication act.

    The signature covers the protocol id (a hash of its content), so it counts for this exact
    protocol only. Send the file to the hub with `accord exercise sign EXERCISE --file`, or
    upload it on the exercise's web page.

    Example: `accord protocol sign protocol.yaml --key keys/inst-a.key -o inst-a.sig.json`
    """
    from datetime import UTC, datetime
    from typing import get_args

    from .._util import InputError
    from ..identity import ActKind, sign_act, write_act
    from ..protocol import load_protocol, protocol_id

    kinds = get_args(ActKind)
    if act_kind not in kinds:
        raise InputError(f"--act must be one of {', '.join(kinds)}, not '{act_kind}'")
    pid = protocol_id(load_protocol(protocol, resolve_tasks=False).protocol)
    private_key, partner = _key(key, partner, passphrase_env)
    act = sign_act(
        private_key,
        act_kind,  # type: ignore[arg-type]  # checked against ActKind above
        pid,
        partner,
        datetime.now(UTC),
        reason,
        for_hub,
    )
    write_act(output, act)
    what = "signed" if act.act == "sign-off" else f"signed '{act.act}' of"
    out.print(f"{act.partner} {what} {pid}\nsignature: {output}", highlight=False)


def verify_signature_command(
    signature: Path = typer.Argument(..., help="The *.sig.json file.", show_default=False),
    keyring: Path = typer.Option(..., "--keyring", help="Keyring of trusted partner keys."),
    protocol: Path | None = typer.Option(
        None, "--protocol", help="Check that the signature is over this protocol."
    ),
    json_output: bool = JsonFlag,
) -> None:
    """Verify a partner's signed act offline, against a keyring (exit 1 when it fails).

    Example: `accord protocol verify-signature a.sig.json --keyring keyring.json --protocol p.yaml`
    """
    from .._util import OperationError
    from ..identity import read_act, read_keyring, verify_act
    from ..protocol import load_protocol, protocol_id

    act = read_act(signature)
    pid = protocol_id(load_protocol(protocol, resolve_tasks=False).protocol) if protocol else None
    problem = verify_act(act, read_keyring(keyring), pid)
    if json_output:
        print_json({"valid": problem is None, "problem": problem, **act.model_dump(mode="json")})
    if problem:
        raise OperationError(f"{signature}: {problem}")
    if not json_output:
        out.print(
            f"valid: {act.act} by {act.partner} of {act.protocol_id} "
            f"at {act.signed_at.isoformat()} (key {act.key_id})",
            highlight=False,
        )


def _post(api: HubClient, exercise: str, act: PartnerAct, json_output: bool) -> None:
    state = api.record_act(exercise, act)
    if json_output:
        print_json(state)
        return
    out.print(f"recorded: {act.act} by {act.partner} on {exercise}", highlight=False)
    _print_agreement(exercise, state)


def sign_exercise_command(
    exercise: str = ExerciseArg,
    key: Path | None = typer.Option(None, "--key", help="Your institute's private key (.key)."),
    file: Path | None = typer.Option(
        None, "--file", help="Send this signature from `accord protocol sign` instead."
    ),
    partner: str | None = PartnerOption,
    passphrase_env: str | None = PassphraseOption,
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Sign the exercise's protocol for your institute; it opens once every partner has.

    Signs the protocol id the hub holds with --key, or sends a signature made offline.

    Example: `accord exercise sign refusal-pilot --key keys/inst-a.key`
    """
    from .._util import InputError
    from ..identity import read_act

    api = client(hub, token)
    if (key is None) == (file is None):
        raise InputError("give either --key (sign now) or --file (a signature made offline)")
    if file is not None:
        act = read_act(file)
    else:
        assert key is not None
        act = api.sign_act(exercise, *_key(key, partner, passphrase_env))
    _post(api, exercise, act, json_output)


def _publication_act(verb: ActKind, summary: str, example: str) -> Any:
    def command(
        exercise: str = ExerciseArg,
        key: Path = KeyOption,
        reason: str | None = typer.Option(None, "--reason", help="Why (required to object)."),
        partner: str | None = PartnerOption,
        passphrase_env: str | None = PassphraseOption,
        hub: str | None = HubOption,
        token: str | None = TokenOption,
        json_output: bool = JsonFlag,
    ) -> None:
        if verb == "object" and not (reason and reason.strip()):
            from .._util import InputError

            raise InputError("an objection needs --reason: partners must know what to fix")
        api = client(hub, token)
        act = api.sign_act(exercise, *_key(key, partner, passphrase_env), verb, reason)
        _post(api, exercise, act, json_output)

    command.__doc__ = f"{summary}\n\nExample: `{example}`"
    return command


approve_command = _publication_act(
    "approve",
    "Approve publication of a closed exercise for your institute (signed with --key).",
    "accord exercise approve refusal-pilot --key keys/inst-a.key",
)
object_command = _publication_act(
    "object",
    "Object to publication, with a reason; it blocks publication until you withdraw it.",
    'accord exercise object refusal-pilot --key keys/inst-b.key --reason "finding 2 is wrong"',
)
withdraw_command = _publication_act(
    "withdraw",
    "Withdraw your institute's objection (or approval) to publication.",
    "accord exercise withdraw refusal-pilot --key keys/inst-b.key",
)


def amend_command(
    exercise: str = ExerciseArg,
    protocol: Path = typer.Argument(..., help="The new protocol version.", show_default=False),
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Amend an exercise's protocol; it returns to draft until every partner signs again.

    Example: `accord exercise amend refusal-pilot protocol-v2.yaml`
    """
    from ..protocol import load_protocol

    load_protocol(protocol, resolve_tasks=False)  # fail here, with lines, before the hub does
    text = protocol.read_text(encoding="utf-8")
    result = client(hub, token).call(
        "POST", f"/exercises/{exercise}/amendments", json={"protocol_yaml": text}
    )
    if json_output:
        print_json(result)
        return
    out.print(f"amended: {result['previous']} -> {result['protocol_id']}", highlight=False)
    rows = [[s, c] for s, lines in result["changes"].items() for c in lines]
    print_table(["section", Column("change", note=True)], rows, title="What changed")
    if result["runs_set_aside"]:
        err.print(f"{result['runs_set_aside']} run(s) of the earlier version set aside")
    if result["post_hoc"]:
        err.print("[yellow]post hoc[/]: the analysis plan or thresholds changed after results")
    err.print(f"next: every partner signs it (`accord exercise sign {exercise} --key ...`)")


def agreement_command(
    exercise: str = ExerciseArg,
    hub: str | None = HubOption,
    token: str | None = TokenOption,
    json_output: bool = JsonFlag,
) -> None:
    """Show who signed the exercise's protocol and who approved or objected to publication.

    Example: `accord exercise agreement refusal-pilot`
    """
    state = client(hub, token).call("GET", f"/exercises/{exercise}/agreement")
    if json_output:
        print_json(state)
        return
    _print_agreement(exercise, state)


def _print_agreement(exercise: str, state: dict[str, Any]) -> None:
    rows = [
        [a["partner"], a["act"], a["signed_at"], a["key_id"], a["ledger_seq"], a.get("reason")]
        for a in (*state["signatures"], *state["publication"])
    ]
    rows += [[p, "(not signed)", None, None, None, None] for p in state["missing_signatures"]]
    print_table(
        [
            Column("partner", id=True),
            "act",
            "signed at",
            Column("key id", id=True),
            Column("ledger", justify="right"),
            Column("reason", note=True),
        ],
        rows,
        title=f"Agreement on {exercise} (protocol {state['protocol_id']}, "
        f"quorum {state['quorum']})",
    )
    err.print(
        f"can open: {'yes' if state['can_open'] else 'no'}; "
        f"can publish: {'yes' if state['can_publish'] else 'no'}"
    )
    if state.get("late_signatures"):
        err.print(f"signed after it opened: {', '.join(state['late_signatures'])}")

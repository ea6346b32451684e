import json
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from accord.package import (
    PackageError,
    PackageLimits,
    build_package,
    sign_package,
    unpack_package,
    verify_package,
)
from accord.protocol import load_protocol
from tests.package.conftest import FILES, Authors, flip_byte, rewrite_member


def test_round_trip(protocol_dir: Path, authors: Authors, tmp_path: Path) -> None:
    built = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    )
    # The task module, the helper it imports, the data it names and the declared template;
    # not the unrelated notes.
    assert sorted(built.manifest.files) == sorted(FILES)
    code = built.manifest.tasks["refusal"]
    assert code.kind == "files" and sorted(code.files) == sorted(set(FILES) - {"protocol.yaml"})
    verified = verify_package(built.path, authors.keyring())
    assert verified.digest == built.digest and verified.signers == ["inst-a"]
    out = tmp_path / "unpacked"
    unpack_package(built.path, out, authors.keyring())
    for name in FILES:
        assert (out / name).read_bytes() == (protocol_dir / name).read_bytes()
    assert not (out / "notes.md").exists()


def test_build_is_deterministic(protocol_dir: Path, tmp_path: Path) -> None:
    one = build_package(protocol_dir / "protocol.yaml", tmp_path / "1.accordpkg")
    two = build_package(protocol_dir / "protocol.yaml", tmp_path / "2.accordpkg")
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.digest == two.digest


@pytest.mark.parametrize("name", FILES)
def test_one_byte_change_in_any_file_fails_naming_it(
    protocol_dir: Path, authors: Authors, tmp_path: Path, name: str
) -> None:
    package = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    ).path
    target = "files/" + name
    rewrite_member(package, lambda n, d: (n, flip_byte(d) if n == target else d))
    with pytest.raises(PackageError, match=f"file '{name}' does not match its SHA-256"):
        verify_package(package, authors.keyring())
    with pytest.raises(PackageError, match=name):
        unpack_package(package, tmp_path / "out", None)
    assert not (tmp_path / "out").exists()


def test_file_dropped_with_its_manifest_entry_is_found(
    protocol_dir: Path, authors: Authors, tmp_path: Path
) -> None:
    package = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    ).path

    def drop_template(name: str, data: bytes) -> tuple[str, bytes] | None:
        if name == "files/templates/phrases.txt":
            return None
        if name == "package.json":
            document = json.loads(data)
            del document["files"]["templates/phrases.txt"]
            return name, json.dumps(document).encode()
        return name, data

    rewrite_member(package, drop_template)
    # The files agree with the edited manifest, but the task's code no longer does.
    with pytest.raises(PackageError, match=r"incomplete.*templates/\*.txt"):
        verify_package(package, authors.keyring())


def test_signature_of_another_digest_fails(
    protocol_dir: Path, authors: Authors, tmp_path: Path
) -> None:
    package = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    ).path
    # A field the content checks do not look at: only the signature catches the change.
    rewrite_member(
        package,
        lambda n, d: (n, d.replace(b'"protocol_name":"refusal-pilot"', b'"protocol_name":"x"')),
    )
    with pytest.raises(PackageError, match="signature does not verify"):
        verify_package(package, authors.keyring())
    verify_package(package, None)  # the digests alone still agree


def test_co_signing(protocol_dir: Path, authors: Authors, tmp_path: Path) -> None:
    built = build_package(
        protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg", signer=authors.signer("inst-a")
    )
    with pytest.raises(PackageError, match="not signed by 'inst-b'"):
        verify_package(built.path, authors.keyring(), require=["inst-b"])
    signed = sign_package(built.path, authors.signer("inst-b"))
    assert signed.digest == built.digest
    verified = verify_package(built.path, authors.keyring(), require=["inst-a", "inst-b"])
    assert verified.signers == ["inst-a", "inst-b"]
    with pytest.raises(PackageError, match="already signed"):
        sign_package(built.path, authors.signer("inst-b"))
    with pytest.raises(PackageError, match="not in the keyring"):
        verify_package(built.path, authors.keyring("inst-a"))


def test_unsigned_package_fails_with_a_keyring(
    protocol_dir: Path, authors: Authors, tmp_path: Path
) -> None:
    package = build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg").path
    with pytest.raises(PackageError, match="not signed"):
        verify_package(package, authors.keyring())


def _member(package: Path, info: zipfile.ZipInfo, data: bytes) -> None:
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr(info, data)


@pytest.mark.parametrize(
    ("name", "mode", "reason"),
    [
        ("files/../../evil.py", stat.S_IFREG, "leaves its directory"),
        ("/etc/evil.py", stat.S_IFREG, "absolute"),
        ("files/link.py", stat.S_IFLNK, "not a regular file"),
        ("evil.py", stat.S_IFREG, "unexpected member"),
        ("files/judging.py", stat.S_IFREG, "duplicate member"),
        ("files/extra.py", stat.S_IFREG, "not listed in package.json"),
    ],
)
def test_hostile_members_are_refused(
    protocol_dir: Path, tmp_path: Path, name: str, mode: int, reason: str
) -> None:
    package = build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg").path
    info = zipfile.ZipInfo(name)
    info.external_attr = (mode | 0o777) << 16
    with pytest.warns(UserWarning) if "duplicate" in reason else _nothing():
        _member(package, info, b"import os\n")
    with pytest.raises(PackageError, match=reason):
        verify_package(package, None)
    assert not (tmp_path / "evil.py").exists()


def test_oversized_members_are_refused(protocol_dir: Path, tmp_path: Path) -> None:
    package = build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg").path
    with pytest.raises(PackageError, match="over the limit"):
        verify_package(package, None, limits=PackageLimits(max_member_bytes=1000))
    with pytest.raises(PackageError, match="over the package member limit"):
        build_package(
            protocol_dir / "protocol.yaml",
            tmp_path / "q.accordpkg",
            limits=PackageLimits(max_member_bytes=1000),
        )
    assert not (tmp_path / "q.accordpkg").exists()


def test_files_pattern_matching_nothing_is_refused(protocol_dir: Path, tmp_path: Path) -> None:
    (protocol_dir / "templates" / "phrases.txt").unlink()
    with pytest.raises(Exception, match=r"'templates/\*.txt' matches no file"):
        build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg")
    assert not (tmp_path / "p.accordpkg").exists()


def test_file_outside_the_protocol_directory_is_refused(protocol_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.py"
    outside.write_text("X = 1\n")
    task = protocol_dir / "refusal_task.py"
    task.write_text(task.read_text().replace("from judging", "import elsewhere\nfrom judging"))
    os.symlink(outside, protocol_dir / "elsewhere.py")
    with pytest.raises(Exception, match="outside the protocol's directory"):
        build_package(protocol_dir / "protocol.yaml", tmp_path / "p.accordpkg")


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_subjects_files_travel_in_the_package(
    protocol_dir: Path, authors: Authors, tmp_path: Path
) -> None:
    path = protocol_dir / "protocol.yaml"
    data = yaml.safe_load(path.read_text())
    (protocol_dir / "prompts").mkdir()
    (protocol_dir / "prompts" / "careful.txt").write_text("Be careful.\n")
    (protocol_dir / "agents").mkdir()
    (protocol_dir / "agents" / "scaffold.py").write_text(AGENT)
    (protocol_dir / "agents" / "agent_tools.py").write_text("STEPS = 3\n")
    subject = data["models"][0]["model"]
    data["models"] += [
        {
            "id": "sys",
            "model": subject,
            "kind": "system",
            "system_prompt_file": "prompts/careful.txt",
        },
        {"id": "ag", "model": subject, "kind": "agent", "agent": "agents/scaffold.py@scaffold"},
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    built = build_package(path, tmp_path / "p.accordpkg", signer=authors.signer("inst-a"))
    subject_files = {"prompts/careful.txt", "agents/scaffold.py", "agents/agent_tools.py"}
    assert subject_files <= set(built.manifest.files)
    out = tmp_path / "unpacked"
    unpack_package(built.path, out, authors.keyring())
    load_protocol(out / "protocol.yaml")  # the unpacked protocol finds its subjects' files
    target = "files/prompts/careful.txt"
    rewrite_member(built.path, lambda n, d: (n, flip_byte(d) if n == target else d))
    with pytest.raises(PackageError, match=re.escape("prompts/careful.txt")):
        verify_package(built.path, authors.keyring())


AGENT = '''"""A file agent importing a local helper."""

from agent_tools import STEPS
from inspect_ai.solver import Generate, Solver, TaskState, solver


@solver
def scaffold() -> Solver:
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for _ in range(STEPS):
            state = await generate(state)
        return state

    return solve
'''

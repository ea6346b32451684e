import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.bundle import BundleError, build_bundle, verify_bundle
from accord.bundle._archive import write_archive
from accord.protocol import protocol_id
from tests.bundle.conftest import Exercise


@pytest.fixture(scope="module")
def bundle(exercise: Exercise, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "a.accord"
    return build_bundle(exercise.run_dir, exercise.protocol, exercise.key, out).path


def test_build_then_verify(exercise: Exercise, bundle: Path) -> None:
    pid = protocol_id(exercise.protocol.protocol)
    verified = verify_bundle(bundle, exercise.keyring(), expected_protocol_id=pid)
    document = verified.document
    assert (document.partner, document.protocol_id, document.key_id) == (
        "inst-a",
        pid,
        exercise.record.key_id,
    )
    assert document.disclosure == {
        f"refusal-{lv}": lv for lv in ("scores", "samples", "transcripts")
    }
    assert sorted(m.disclosure for m in document.members) == ["samples", "scores", "transcripts"]
    assert document.run_manifest.partner == "inst-a" and len(document.run_manifest.logs) == 3
    assert verified.sha256.startswith("sha256:")


def test_building_twice_is_refused_without_force(exercise: Exercise, bundle: Path) -> None:
    from accord._util import InputError

    with pytest.raises(InputError, match="exists; choose another -o or pass --force"):
        build_bundle(exercise.run_dir, exercise.protocol, exercise.key, bundle)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_changed_byte_fails_verification(
    exercise: Exercise, bundle: Path, tmp_path: Path, data: st.DataObject
) -> None:
    raw = bytearray(bundle.read_bytes())
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    raw[position] ^= data.draw(st.integers(1, 255), label="xor")
    tampered = tmp_path / "tampered.accord"
    tampered.write_bytes(bytes(raw))
    with pytest.raises(BundleError):
        verify_bundle(tampered, exercise.keyring())


def rewrite(bundle: Path, target: Path, edit: str) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        folder = target.parent / "parts"
        shutil.rmtree(folder, ignore_errors=True)
        archive.extractall(folder)
    members = [(n, folder / n) for n in names]
    if edit == "missing":
        members = members[:-1]
    elif edit == "extra":
        members.append(("logs/extra.eval", members[-1][1]))
    elif edit == "renamed":
        members[-1] = ("logs/renamed.eval", members[-1][1])
    write_archive(target, members)
    return target


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("missing", "is listed in bundle.json but missing"),
        ("extra", "'logs/extra.eval' is in the archive but not listed"),
        ("renamed", "listed in bundle.json but missing"),
    ],
)
def test_member_changes_fail(
    exercise: Exercise, bundle: Path, tmp_path: Path, edit: str, reason: str
) -> None:
    with pytest.raises(BundleError, match=reason):
        verify_bundle(rewrite(bundle, tmp_path / "x.accord", edit), exercise.keyring())


def test_unknown_key_fails(exercise: Exercise, bundle: Path) -> None:
    from accord.identity import Keyring

    ring = Keyring()
    ring.add(exercise.other_record, exercise.other_record.created, None)
    with pytest.raises(BundleError, match="which is not in the keyring"):
        verify_bundle(bundle, ring)


def test_signed_with_another_partners_key_fails(exercise: Exercise, tmp_path: Path) -> None:
    wrong = build_bundle(
        exercise.run_dir, exercise.protocol, exercise.other_key, tmp_path / "b.accord"
    )
    with pytest.raises(
        BundleError, match="belongs to 'inst-b', but the bundle claims partner 'inst-a'"
    ):
        verify_bundle(wrong.path, exercise.keyring())


def test_revoked_key_fails_but_earlier_signatures_stand(exercise: Exercise, bundle: Path) -> None:
    created = verify_bundle(bundle, exercise.keyring()).document.created
    before = exercise.keyring()
    before.revoke(exercise.record.key_id, created - timedelta(seconds=1), "compromised")
    with pytest.raises(BundleError, match=r"was revoked at .* \(compromised\)"):
        verify_bundle(bundle, before)
    after = exercise.keyring()
    after.revoke(exercise.record.key_id, created + timedelta(seconds=1), "rotated")
    assert verify_bundle(bundle, after).document.partner == "inst-a"


def test_key_outside_its_validity_window_fails(exercise: Exercise, bundle: Path) -> None:
    created = verify_bundle(bundle, exercise.keyring()).document.created
    with pytest.raises(BundleError, match="is valid only from"):
        verify_bundle(bundle, exercise.keyring(valid_from=created + timedelta(hours=1)))
    with pytest.raises(BundleError, match="expired at"):
        verify_bundle(
            bundle,
            exercise.keyring(
                valid_from=created - timedelta(days=2), valid_until=created - timedelta(days=1)
            ),
        )


def test_protocol_id_mismatch_fails(exercise: Exercise, bundle: Path) -> None:
    with pytest.raises(BundleError, match=r"bundle is for protocol .*, not 000000000000"):
        verify_bundle(bundle, exercise.keyring(), expected_protocol_id="sha256:" + "0" * 64)

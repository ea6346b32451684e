"""Malicious archives are rejected with a clear reason, and nothing lands outside a temp dir."""

import stat
import zipfile
from pathlib import Path

import pytest

from accord.bundle import BundleError, BundleLimits, open_bundle, verify_bundle
from accord.identity import Keyring


def make_zip(
    path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], **options: int
) -> Path:
    with zipfile.ZipFile(path, "w", **options) as archive:  # type: ignore[arg-type]
        for name, data in members:
            archive.writestr(name, data)
    return path


BASE = [("bundle.json", b"{}"), ("signature", b"{}")]


def rejected(path: Path, limits: BundleLimits | None = None) -> str:
    with pytest.raises(BundleError) as caught, open_bundle(path, limits):
        pass
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.eval", "leaves its directory"),
        ("logs/../../evil.eval", "leaves its directory"),
        ("/etc/evil.eval", "absolute or non-portable"),
        ("logs\\evil.eval", "absolute or non-portable"),
        ("C:/evil.eval", "absolute or non-portable"),
        ("notes.txt", "unexpected member 'notes.txt'"),
        ("logs/inner/deep.eval", "unexpected member"),
    ],
)
def test_bad_paths_are_rejected(tmp_path: Path, name: str, reason: str) -> None:
    path = make_zip(tmp_path / "b.accord", [*BASE, (name, b"x")])
    assert reason in rejected(path)
    assert not (tmp_path / "evil.eval").exists() and not Path("/etc/evil.eval").exists()


def test_links_are_rejected(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("logs/link.eval")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = make_zip(tmp_path / "b.accord", [*BASE, (link, b"/etc/passwd")])
    assert "not a regular file" in rejected(path)


def test_directories_are_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "b.accord", [*BASE, ("logs/", b"")])
    assert "leaves its directory" in rejected(path) or "not a regular file" in rejected(path)


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = make_zip(
            tmp_path / "b.accord", [*BASE, ("logs/a.eval", b"1"), ("logs/a.eval", b"2")]
        )
    assert "duplicate member name 'logs/a.eval'" in rejected(path)


def test_zip_bomb_is_rejected(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "b.accord",
        [*BASE, ("logs/bomb.eval", b"\0" * (20 << 20))],
        compression=zipfile.ZIP_DEFLATED,
    )
    assert path.stat().st_size < 100_000
    assert "suspicious compression ratio" in rejected(path)


def test_limits_on_sizes_and_counts(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "b.accord", [*BASE, ("logs/a.eval", b"x" * 5000), ("logs/b.eval", b"y" * 5000)]
    )
    assert "over the limit of 4000" in rejected(path, BundleLimits(max_member_bytes=4000))
    assert "unpacks to more than 8000" in rejected(path, BundleLimits(max_total_bytes=8000))
    assert "4 members, over the limit of 3" in rejected(path, BundleLimits(max_members=3))
    assert "over the limit of 100" in rejected(path, BundleLimits(max_archive_bytes=100))


def test_encrypted_entries_are_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "b.accord", [*BASE, ("logs/secret.eval", b"data")])
    raw = bytearray(path.read_bytes())
    entry = raw.rfind(b"PK\x01\x02")  # the central directory entry of the last member
    raw[entry + 8] |= 0x1  # general purpose flag: encrypted
    path.write_bytes(bytes(raw))
    assert "is encrypted" in rejected(path)


def test_not_a_zip_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "junk.accord").write_bytes(b"not a zip at all")
    assert "is not a bundle archive" in rejected(tmp_path / "junk.accord")
    assert "cannot read bundle" in rejected(tmp_path / "absent.accord")


def test_missing_document_is_a_verification_failure(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "b.accord", [("signature", b"{}")])
    with pytest.raises(BundleError, match=r"bundle has no 'bundle\.json' member"):
        verify_bundle(path, Keyring())


def test_extraction_stays_in_a_temporary_directory(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "b.accord", [*BASE, ("logs/ok.eval", b"fine")])
    with open_bundle(path) as opened:
        directory = opened.directory
        assert opened.member("logs/ok.eval").read_bytes() == b"fine"
        assert tmp_path not in directory.parents
    assert not directory.exists()

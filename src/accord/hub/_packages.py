"""Exercises' test packages: attached once (draft), downloaded by insiders, checked on arrival."""

from pathlib import Path

from ..package import PackageError, PackageLimits, verify_package
from ..store import Exercise, ExercisePackage, append, transaction
from . import _policy as policy
from ._auth import Actor
from ._base import HubBase
from ._errors import Conflict, NotFound, Rejected
from ._ingest import keyring_from_store

PACKAGE_LIMITS = PackageLimits()


class PackageOps(HubBase):
    """Attaching a test package to an exercise and handing it out."""

    def authorize_package(self, actor: Actor, exercise_id: str) -> Exercise:
        """Refuse, before any of the body is read, a caller who may not attach a package.

        Only the exercise's managers may, only while it is a draft, and only once.
        """
        with transaction(self.reads) as session:
            exercise = self._exercise(session, exercise_id)
            view = self._view(session, exercise)
            attached = session.get(ExercisePackage, exercise_id) is not None
        self.hide(actor, view)
        self.check(actor, policy.manage_exercise(actor, view), "exercise.package", exercise_id)
        if exercise.state != "draft":
            raise Conflict(
                f"exercise '{exercise_id}' is {exercise.state}; a package is attached to a draft"
            )
        if attached:
            raise Conflict(f"exercise '{exercise_id}' has a package already; it never changes")
        return exercise

    def attach_package(self, actor: Actor, exercise_id: str, path: Path) -> ExercisePackage:
        """Verify an uploaded package against the hub's registered keys and attach it.

        Raises:
            Rejected: When it fails verification, is for another protocol, or no partner of
                the exercise signed it.
        """
        exercise = self.authorize_package(actor, exercise_id)
        with transaction(self.reads) as session:
            keyring = keyring_from_store(session)
            partners = self._view(session, exercise).partners
        try:
            verified = verify_package(path, keyring, limits=PACKAGE_LIMITS)
        except PackageError as ex:
            raise Rejected(f"the package does not verify: {ex}") from None
        if verified.manifest.protocol_id != exercise.protocol_id:
            raise Rejected(
                f"the package is for protocol {verified.manifest.protocol_id}, the exercise "
                f"for {exercise.protocol_id}; build the package from the exercise's protocol"
            )
        if not set(verified.signers) & set(partners):
            raise Rejected(
                f"no partner of '{exercise_id}' signed the package (signed by "
                f"{', '.join(verified.signers)}); a partner signs it with `accord package sign`"
            )
        sha256 = self.blobs.put(path)
        now = self.clock()
        with transaction(self.sessions) as session:
            if session.get(ExercisePackage, exercise_id) is not None:
                raise Conflict(f"exercise '{exercise_id}' has a package already")
            row = ExercisePackage(
                exercise_id=exercise_id,
                digest=verified.digest,
                sha256=sha256,
                task_code={task: code.digest for task, code in verified.manifest.tasks.items()},
                signers=verified.signers,
                uploaded_by=actor.member_id,
                uploaded_at=now,
            )
            session.add(row)
            append(
                session,
                "exercise.package",
                exercise_id,
                actor.member_id,
                {"digest": verified.digest, "sha256": sha256, "signers": verified.signers},
                now,
            )
            return row

    def exercise_package(self, actor: Actor, exercise_id: str) -> tuple[ExercisePackage, Path]:
        """The exercise's package and its stored file, for whoever may see the exercise.

        Raises:
            NotFound: When the exercise has no package (or is not visible).
        """
        with transaction(self.reads) as session:
            exercise = self._exercise(session, exercise_id)
            self.hide(actor, self._view(session, exercise))
            row = session.get(ExercisePackage, exercise_id)
        if row is None:
            raise NotFound(f"exercise '{exercise_id}' was not created from a package")
        return row, self.blobs.path(row.sha256)

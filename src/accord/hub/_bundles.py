"""The partners' shared workplace: stored bundles for download, and who owes what."""

from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..store import Submission, transaction
from . import _policy as policy
from ._auth import Actor
from ._errors import NotFound
from ._queries import QueryOps
from ._review import cut_status
from ._status import status_matrix


class WorkplaceOps(QueryOps):
    """Bundle download and the status matrix."""

    def bundle(self, actor: Actor, exercise_id: str, submission_id: str) -> tuple[Path, str, str]:
        """A submission's stored bundle: (path, sha256, partner) for partners and secondees.

        The bundle is the exact file the partner signed and submitted, so whoever fetches it
        can verify it offline against their own keyring.

        Raises:
            NotFound: For an exercise the actor may not see, or no such submission in it.
            Forbidden: For anyone else who may see the exercise (the public once published).
        """
        _, view = self.exercise(actor, exercise_id)
        self.check(actor, policy.see_samples(actor, view), "bundle.read", exercise_id)
        with transaction(self.reads) as session:
            submission = session.scalars(
                select(Submission).where(
                    Submission.id == submission_id, Submission.exercise_id == exercise_id
                )
            ).first()
            if submission is None:
                raise NotFound(f"no submission '{submission_id}' in exercise '{exercise_id}'")
            digest, partner = submission.bundle_sha256, submission.institute_id
        path = self.blobs.path(digest)
        if not path.is_file():
            # The row exists but its blob does not: a restore without blobs, or a lost disk.
            raise NotFound(
                f"the bundle of submission '{submission_id}' ({digest}) is missing from the "
                "hub's blob store; the operator must restore the data directory"
            )
        self.audit(actor, "bundle.read", submission_id, "allow", digest)
        return path, digest, partner

    def status(self, actor: Actor, exercise_id: str) -> dict[str, Any]:
        """The partner x task x model matrix of an exercise (see `status_matrix`)."""
        exercise, view = self.exercise(actor, exercise_id)
        scope = policy.results_scope(actor, view)
        protocol = self._parse(exercise.protocol_yaml)
        with transaction(self.reads) as session:
            matrix = status_matrix(session, exercise, protocol, insider=scope.insider)
        return cut_status(matrix, scope)

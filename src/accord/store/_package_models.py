"""The test package an exercise was created from (content-addressed in the blob store)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ._models import Base, UtcDateTime


class ExercisePackage(Base):
    """An exercise's test package: its digest, its file's blob and each task's code digest."""

    __tablename__ = "exercise_packages"
    exercise_id: Mapped[str] = mapped_column(ForeignKey("exercises.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(71))
    sha256: Mapped[str] = mapped_column(String(71))
    task_code: Mapped[dict[str, str]] = mapped_column(JSON)
    signers: Mapped[list[str]] = mapped_column(JSON)
    uploaded_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)

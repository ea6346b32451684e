"""Each run's scores in columnar form, for the analysis to read without row-by-row work."""

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ._models import Base


class RunScoreColumns(Base):
    """A run's (sample, epoch, scorer, value, cluster) columns, encoded by `hub._columns`.

    Written in the transaction that stores the run's `sample_scores` rows; those rows stay
    for paging and audit. `sha256` addresses the payload's content.
    """

    __tablename__ = "run_score_columns"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    format: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(71))
    payload: Mapped[bytes] = mapped_column(LargeBinary)

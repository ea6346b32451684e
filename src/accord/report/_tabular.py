"""CSV and Parquet exports: per-sample scores and every analysis table, stable columns.

Columns are documented in docs/exports.md; `SCHEMAS` is the contract the tests check.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .._util import InputError
from . import _adapt as adapt
from ._samples import ExportData

TableFormat = Literal["csv", "parquet"]
TABLES = ("scores", "estimates", "comparisons", "replications", "agreements", "findings")


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    text, real, whole = pa.string(), pa.float64(), pa.int64()
    flag, label = pa.bool_(), pa.dictionary(pa.int32(), pa.string())
    interval = [("value", real), ("ci_low", real), ("ci_high", real)]
    return {
        "scores": pa.schema(
            [
                ("partner", label),
                ("task", label),
                ("model", label),
                ("scorer", label),
                ("sample_id", label),
                ("epoch", pa.int32()),
                ("value", real),
                ("cluster", label),
                ("disclosure", label),
                ("answer", text),
                ("explanation", text),
            ]
        ),
        "estimates": pa.schema(
            [("task", text), ("model", text), ("scorer", text), ("partner", text),
             ("partners", text), ("n", whole), ("mean", real), ("se", real), ("ci_low", real),
             ("ci_high", real), ("method", text), ("notes", text)]
        ),
        "comparisons": pa.schema(
            [("task", text), ("scorer", text), ("model", text), ("reference", text),
             ("partner", text), ("partners", text), ("paired", flag), ("n", whole),
             ("delta", real), ("se", real), ("ci_low", real), ("ci_high", real),
             ("p_value", real), ("p_adjusted", real), ("correction", text), ("method", text),
             ("notes", text)]
        ),
        "replications": pa.schema(
            [("task", text), ("model", text), ("scorer", text), ("partner_a", text),
             ("partner_b", text), ("deviations", text), ("paired", flag), ("n", whole),
             ("delta", real), ("ci_low", real), ("ci_high", real), ("margin", real),
             ("p_tost", real), ("verdict", text), ("method", text), ("notes", text)]
        ),
        "agreements": pa.schema(
            [("task", text), ("model", text), ("partner", text), ("grader_a", text),
             ("grader_b", text), ("n", whole)]
            + [(f"{m}_{k}", t) for m in ("percent", "kappa", "alpha_nominal", "alpha_ordinal")
               for k, t in interval]
            + [("notes", text)]
        ),
        "findings": pa.schema(
            [("threshold", text), ("statement", text), ("status", text), ("task", text),
             ("model", text), ("compare_to", text), ("when", text), ("value", real),
             ("ci_low", real), ("ci_high", real), ("partners", text), ("evidence", text),
             ("sentence", text), ("notes", text)]
        ),
    }  # fmt: skip


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, list):
            out[key] = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            out.update({f"{key}_{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _analysis_table(name: str, rows: Iterable[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa

    flat = [_flat(r) for r in rows]
    return pa.Table.from_pylist([{f: r.get(f) for f in schema.names} for r in flat], schema=schema)


def _rows(data: ExportData) -> dict[str, list[dict[str, Any]]]:
    a = data.analysis
    confidence = f"{1 - float(a.get('alpha', 0.05)):.0%}"
    converters: dict[str, Callable[[Any], Any]] = {
        "estimates": adapt.estimate,
        "comparisons": adapt.comparison,
        "replications": adapt.replication,
        "agreements": adapt.agreement,
        "findings": lambda r: adapt.finding(r, confidence),
    }
    return {
        name: [convert(r).model_dump(mode="json") for r in a.get(name, [])]
        for name, convert in converters.items()
    }


def _dictionary(codes: Any, labels: Sequence[str], missing: Any = None) -> Any:
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(
        pa.array(codes, type=pa.int32(), mask=missing), pa.array(list(labels), type=pa.string())
    )


def scores_table(data: ExportData) -> Any:
    """Per-sample scores as an Arrow table; text columns null where disclosure forbids."""
    import pyarrow as pa

    t, levels = data.scores, data.scores.levels
    n = len(t)
    task_levels = [data.level(task) for task in levels.get("task", [])]
    answers, explanations = _texts(data, n)
    columns = [
        _dictionary(t.partner, levels.get("partner", [])),
        _dictionary(t.task, levels.get("task", [])),
        _dictionary(t.model, levels.get("model", [])),
        _dictionary(t.scorer, levels.get("scorer", [])),
        _dictionary(t.sample, levels.get("sample", [])),
        pa.array(t.epoch, type=pa.int32()),
        pa.array(t.value, type=pa.float64()),
        _dictionary(t.cluster, levels.get("cluster", []), missing=t.cluster < 0),
        _dictionary(t.task, task_levels),
        answers,
        explanations,
    ]
    return pa.Table.from_arrays(columns, schema=_schemas()["scores"])


def _texts(data: ExportData, n: int) -> tuple[Any, Any]:
    """Answer and explanation columns: null unless the row's task discloses text."""
    import pyarrow as pa

    allowed = data.text_allowed()
    if not allowed.any():
        return pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
    if data.answers is not None and data.explanations is not None:
        import pyarrow.compute as pc

        mask, none = pa.array(allowed), pa.nulls(n, pa.string())
        answer = pa.array(list(data.answers), type=pa.string())
        explanation = pa.array(list(data.explanations), type=pa.string())
        return pc.if_else(mask, answer, none), pc.if_else(mask, explanation, none)
    answers: list[str | None] = [None] * n
    explanations: list[str | None] = [None] * n
    t, levels = data.scores, data.scores.levels
    for i in (int(j) for j in np.flatnonzero(allowed)):
        key = (
            levels["partner"][t.partner[i]],
            levels["task"][t.task[i]],
            levels["model"][t.model[i]],
            levels["sample"][t.sample[i]],
            int(t.epoch[i]),
        )
        text = data.texts.get(key)
        if text is not None:
            scorer = levels["scorer"][t.scorer[i]].split("/", 1)[0]
            answer, explanation = text.answers.get(scorer, (None, None))
            answers[i] = None if answer is None else str(answer)
            explanations[i] = None if explanation is None else str(explanation)
    return pa.array(answers, type=pa.string()), pa.array(explanations, type=pa.string())


def export_tables(data: ExportData, out_dir: Path, fmt: TableFormat) -> dict[str, int]:
    """Write every table as `<name>.csv` or `<name>.parquet` in `out_dir`; rows per table.

    Also writes `export.json`: the protocol id, the format, files and row counts.

    Raises:
        InputError: For a format other than csv or parquet.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"export format '{fmt}' is not csv or parquet")
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    schemas = _schemas()
    tables = {"scores": scores_table(data)}
    for name, rows in _rows(data).items():
        tables[name] = _analysis_table(name, rows, schemas[name])
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, table in tables.items():
        target = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, target)
        else:
            plain = table.cast(_plain(table.schema))
            pacsv.write_csv(plain, target)
        counts[name] = table.num_rows
    manifest = {
        "format": 1,
        "protocol_id": data.protocol_id,
        "protocol_name": data.protocol.name,
        "exercise": data.exercise,
        "table_format": fmt,
        "tables": {name: {"file": f"{name}.{fmt}", "rows": rows} for name, rows in counts.items()},
    }
    (out_dir / "export.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def _plain(schema: Any) -> Any:
    """The schema with dictionary columns as plain strings (CSV has no dictionaries)."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field(f.name, f.type.value_type) if pa.types.is_dictionary(f.type) else f
            for f in schema
        ]
    )


def table_schemas() -> dict[str, Any]:
    """The Arrow schema of every exported table (the documented contract)."""
    return _schemas()

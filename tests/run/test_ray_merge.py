"""Shards of a Ray run, without Ray: each holds exactly its samples, and merged they are the run.

The shards here run in this process, as a Ray worker runs them (the task cut to the shard's
samples, an Inspect eval set per shard directory), so the merge is checked against an
in-process run of the whole task.
"""

import hashlib
import zipfile
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval_set
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog, read_eval_log

from accord.protocol import load_protocol
from accord.run import plan_share, run_share
from accord.run._execute import _prepare_models, _prepare_task
from accord.run._merge import merge_shards, run_eval_set_id
from accord.run._shards import dataset_ids, default_shard_size, plan_shards, shard_task
from tests.conftest import ProtocolFactory


def by_sample(log: EvalLog) -> dict[tuple[Any, int], Any]:
    return {
        (s.id, s.epoch): (s.output.completion, {k: v.value for k, v in (s.scores or {}).items()})
        for s in log.samples or []
    }


def reductions(log: EvalLog) -> list[Any]:
    return sorted(
        (r.scorer, str(s.sample_id), s.value) for r in log.reductions or [] for s in r.samples
    )


def test_merged_shards_are_the_in_process_run_and_eval_set_reuses_them_as_they_are(
    make_protocol: ProtocolFactory, tmp_path: Path
) -> None:
    path = make_protocol()
    local = run_share(plan_share(load_protocol(path), "inst-b", tmp_path / "local"), display="none")
    [record] = local.manifest.logs
    whole = read_eval_log(str(local.out_dir / record.file))

    plan = plan_share(load_protocol(path), "inst-b", tmp_path / "ray")
    [run] = plan.runs
    model = _prepare_models(plan, {})[run.model_id]
    ids = dataset_ids(_prepare_task(plan, run, model), None)
    shards = plan_shards(plan, run, ids, shard_size=10)  # 10, 10 and 4 samples
    for shard in shards:
        task = shard_task(_prepare_task(plan, run, model), shard.sample_ids)
        eval_set([task], log_dir=str(shard.log_dir), display="none", log_format="eval")
    merged = merge_shards(
        shards, plan.out_dir, eval_set_id=run_eval_set_id(plan.out_dir), limit=None
    )

    log = read_eval_log(str(merged))
    assert log.status == "success" and log.eval.config.sample_id is None
    assert log.eval.dataset.samples == 24 and log.eval.dataset.sample_ids == ids
    assert by_sample(log) == by_sample(whole)
    assert log.results is not None and whole.results is not None
    assert log.results.model_dump() == whole.results.model_dump()  # Inspect's own metrics
    assert reductions(log) == reductions(whole)
    assert log.stats.model_usage == whole.stats.model_usage  # every shard's usage counted
    assert log.stats.started_at <= min(str(s.started_at) for s in log.samples or [])
    # Sample members are the shards' compressed bytes, copied, not compressed again.
    with zipfile.ZipFile(merged) as archive:
        copied = {i.filename: (i.CRC, i.compress_size) for i in archive.infolist()}
    for shard in shards:
        [shard_log] = shard.log_dir.glob("*.eval")
        with zipfile.ZipFile(shard_log) as archive:
            for info in archive.infolist():
                if info.filename.startswith("samples/"):
                    assert copied[info.filename] == (info.CRC, info.compress_size)

    # Inspect's eval set over the run directory finds the log complete and keeps it as is.
    digest = hashlib.sha256(merged.read_bytes()).hexdigest()
    for shard in shards:
        for file in shard.log_dir.iterdir():
            file.unlink()
    task = _prepare_task(plan, run, model)
    success, _ = eval_set([task], log_dir=str(plan.out_dir), display="none", log_format="eval")
    assert success
    assert [p.name for p in plan.out_dir.glob("*.eval")] == [merged.name]
    assert hashlib.sha256(merged.read_bytes()).hexdigest() == digest


def test_a_shard_task_holds_exactly_its_samples_whatever_their_ids() -> None:
    # Inspect's sample_id option would read "a*" and "[x]" as glob patterns.
    samples = [Sample(input=str(n), id=i) for n, i in enumerate(["a*", "ab", "[x]", "x"])]
    samples += [Sample(input="no id"), Sample(input="no id either")]
    task = Task(dataset=MemoryDataset(samples, name="d"))
    assert dataset_ids(task, None) == ["a*", "ab", "[x]", "x", 5, 6]
    shard = shard_task(task, ("a*", "[x]", 6))
    assert [s.id for s in shard.dataset] == ["a*", "[x]", 6]
    assert [s.input for s in shard.dataset] == ["0", "2", "no id either"]
    assert shard.dataset.name == "d"


def test_one_shard_per_worker_unless_a_shard_cut_short_starts_over() -> None:
    assert default_shard_size(2000, 2) == 1000
    assert default_shard_size(2000, 2, resumable=False) == 500
    assert default_shard_size(3, 8) == 1

"""Runs: plan a partner's share and execute it through Inspect, with full provenance."""

from ._adopt import adopt_logs
from ._code import TaskCode, plan_code, registry_distribution, task_code, task_files
from ._compare import Difference, RunComparison, compare_manifests, compare_runs
from ._digest import dataset_digest, file_digest, normalise_input
from ._dotenv import load_dotenv_file
from ._environment import Environment, capture_environment
from ._execute import RunResult, collect_logs, run_share
from ._manifest import MANIFEST_FILE, LogRecord, RunManifest, RunOptions, read_manifest
from ._options import (
    OPERATIONAL_OPTIONS,
    RESULT_OPTIONS,
    InspectOptions,
    parse_fail_on_error,
)
from ._plan import PlannedRun, SharePlan, default_out_dir, plan_share
from ._ray import RayOptions, require_ray, run_share_ray
from ._snapshots import log_snapshots, snapshot_differences
from ._tasks import create_task
from ._usage import Price, Usage, price_usage, read_prices, total_usage

__all__ = [
    "MANIFEST_FILE",
    "OPERATIONAL_OPTIONS",
    "RESULT_OPTIONS",
    "Difference",
    "Environment",
    "InspectOptions",
    "LogRecord",
    "PlannedRun",
    "Price",
    "RayOptions",
    "RunComparison",
    "RunManifest",
    "RunOptions",
    "RunResult",
    "SharePlan",
    "TaskCode",
    "Usage",
    "adopt_logs",
    "capture_environment",
    "collect_logs",
    "compare_manifests",
    "compare_runs",
    "create_task",
    "dataset_digest",
    "default_out_dir",
    "file_digest",
    "load_dotenv_file",
    "log_snapshots",
    "normalise_input",
    "parse_fail_on_error",
    "plan_code",
    "plan_share",
    "price_usage",
    "read_manifest",
    "read_prices",
    "registry_distribution",
    "require_ray",
    "run_share",
    "run_share_ray",
    "snapshot_differences",
    "task_code",
    "task_files",
    "total_usage",
]

"""The bwrap sandbox isolates for real: files, writes, network, time, processes, clean-up."""

import asyncio
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.solver import Generate, TaskState, solver
from inspect_ai.util import sandbox

from accord.sandbox import BwrapConfig, BwrapSandboxEnvironment, check_bwrap
from tests.requires import needs_bwrap

pytestmark = needs_bwrap


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


async def make() -> BwrapSandboxEnvironment:
    environments = await BwrapSandboxEnvironment.sample_init("t", BwrapConfig(time_limit=30), {})
    box = environments["default"]
    assert isinstance(box, BwrapSandboxEnvironment)
    return box


async def cleanup(box: BwrapSandboxEnvironment) -> None:
    await BwrapSandboxEnvironment.sample_cleanup("t", None, {"default": box}, False)


def test_commands_run_in_the_work_dir_with_the_samples_files() -> None:
    async def go() -> None:
        box = await make()
        await box.write_file("data/input.txt", "hello\n")
        result = await box.exec(["sh", "-c", "pwd; cat data/input.txt; python3 -c 'print(6*7)'"])
        assert result.success and result.stdout.split() == ["/work", "hello", "42"]
        await box.exec(["sh", "-c", "echo made > out.txt"])
        assert await box.read_file("out.txt") == "made\n"
        assert await box.read_file("/work/out.txt") == "made\n"
        with pytest.raises(PermissionError):
            await box.read_file("/etc/passwd")
        with pytest.raises(PermissionError):
            await box.read_file("../../etc/passwd")
        await box.exec(["ln", "-s", "/etc", "escape"])
        with pytest.raises(PermissionError):
            await box.read_file("escape/passwd")
        await cleanup(box)

    run(go())


def test_host_files_outside_the_binds_are_invisible(tmp_path: Path) -> None:
    secret = tmp_path / f"secret-{uuid.uuid4().hex}.txt"
    secret.write_text("host secret")

    async def go() -> None:
        box = await make()
        result = await box.exec(["cat", str(secret)])
        assert not result.success and "host secret" not in result.stdout
        for path in ("/etc/shadow", "/root", "/home", "/var"):
            probe = await box.exec(["ls", path])
            assert not probe.success, path
        await cleanup(box)

    run(go())


def test_writes_outside_the_work_dir_do_not_reach_the_host() -> None:
    marker = f"accord-escape-{uuid.uuid4().hex}"

    async def go() -> None:
        box = await make()
        usr = await box.exec(["touch", f"/usr/{marker}"])
        assert not usr.success and "Read-only" in usr.stderr
        await box.exec(["sh", "-c", f"echo x > /tmp/{marker}; echo x > /{marker}"])
        await cleanup(box)

    run(go())
    assert not Path(f"/usr/{marker}").exists()
    assert not Path(f"/tmp/{marker}").exists()
    assert not Path(f"/{marker}").exists()


def test_no_network_not_even_the_hosts_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')"

    async def go() -> None:
        box = await make()
        result = await box.exec(["python3", "-c", probe])
        assert not result.success and "connected" not in result.stdout
        await cleanup(box)

    run(go())
    time.sleep(0.2)
    assert accepted == []
    server.close()


def test_commands_are_killed_at_their_time_limit_and_leave_no_processes() -> None:
    marker = f"sleep 60.{uuid.uuid4().int % 10**8:08d}"  # a command line no other process has

    async def go() -> Path:
        box = await make()
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            await box.exec(["sh", "-c", marker], timeout=1)
        assert time.monotonic() - start < 10
        started = await box.exec(["sh", "-c", f"{marker} & echo started"])
        assert started.stdout.strip() == "started"
        workdir = box.workdir
        await cleanup(box)
        return workdir

    workdir = run(go())
    time.sleep(0.5)
    leftovers = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    assert leftovers.stdout.strip() == ""
    assert not workdir.exists()


def test_memory_limit_stops_a_hog() -> None:
    async def go() -> None:
        environments = await BwrapSandboxEnvironment.sample_init(
            "t", BwrapConfig(memory_mb=128), {}
        )
        box = environments["default"]
        result = await box.exec(
            ["python3", "-c", "x = bytearray(512 * 1024 * 1024); print('allocated')"]
        )
        assert not result.success and "allocated" not in result.stdout
        await BwrapSandboxEnvironment.sample_cleanup("t", None, environments, False)

    run(go())


@solver
def probe_sandbox():  # type: ignore[no-untyped-def]
    async def solve(state: TaskState, generate: Generate) -> TaskState:
        result = await sandbox().exec(["python3", "-c", "import os; print(os.getcwd(), 2 + 2)"])
        state.metadata["probe"] = result.stdout.strip()
        return state

    return solve


def test_inspect_runs_a_task_in_the_bwrap_sandbox() -> None:
    output = ModelOutput.from_content("mockllm/model", "done")
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    task = Task(
        dataset=[Sample(input="x", files={"note.txt": "from the sample"})],
        solver=probe_sandbox(),
        sandbox="bwrap",
    )
    [log] = eval(
        task,
        model=get_model("mockllm/model", custom_outputs=[output]),
        display="none",
        log_dir=None,
    )
    assert log.status == "success", log.error
    assert log.samples and log.samples[0].metadata["probe"] == "/work 4"


def test_check_passes_here() -> None:
    check_bwrap()

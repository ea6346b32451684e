"""Webhooks delivered to a loopback receiver: signatures, an outage, a hub restart."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from accord.cli import app
from accord.hub import (
    WebhookDispatcher,
    create_app,
    open_hub,
    serve_in_background,
    webhook_signature,
)
from tests.conftest import partners_agree
from tests.workplace.conftest import BACKENDS, Bundles, Served

runner = CliRunner(env={"COLUMNS": "200"})


class Receiver:
    """A loopback HTTP endpoint that records what it is sent; can be down, then up."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[tuple[dict[str, str], bytes]] = []

    @contextmanager
    def up(self) -> Iterator[None]:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()

    def events(self, secret: str) -> list[dict[str, Any]]:
        """The notifications received, each checked against its signature."""
        out = []
        for headers, body in self.received:
            expected = webhook_signature(secret, headers["X-Accord-Timestamp"], body)
            assert headers["X-Accord-Signature"] == expected
            out.append(json.loads(body))
        return out


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_webhooks_survive_an_outage_and_a_restart(
    served: Served, bundles: Bundles, tmp_path: Path
) -> None:
    receiver = Receiver()
    admin = served.api("a-admin")
    hook = admin.call("POST", "/institutes/inst-a/webhooks", json={"url": receiver.url})
    secret = hook["secret"]
    listed = admin.call("GET", "/institutes/inst-a/webhooks")
    assert [w["id"] for w in listed] == [hook["id"]] and "secret" not in listed[0]
    refused = served.api("b-evaluator").http.get("/institutes/inst-a/webhooks")
    assert refused.status_code == 403
    bad = admin.http.post("/institutes/inst-a/webhooks", json={"url": "ftp://x", "events": []})
    assert bad.status_code == 422

    exercise = admin.call("POST", "/exercises", json={"protocol_yaml": bundles.protocol_yaml})["id"]
    partners_agree(served.api("hub-admin"), exercise, bundles.private_keys)
    admin.call("POST", f"/exercises/{exercise}/open")
    admin.submit(exercise, bundles.a)

    # The receiver is down: nothing delivered, each failure rescheduled with backoff.
    now = served.hub.clock()
    assert served.hub.deliver_due(now) == 0
    log = admin.call("GET", "/institutes/inst-a/webhook-deliveries")
    assert {d["event"] for d in log} == {"exercise.opened", "submission.accepted"}
    assert all(d["attempts"] == 1 and d["delivered_at"] is None and d["last_error"] for d in log)
    assert served.hub.deliver_due(now + timedelta(seconds=5)) == 0  # not due yet
    assert admin.call("GET", "/institutes/inst-a/webhook-deliveries")[0]["attempts"] == 1

    with receiver.up():
        assert served.hub.deliver_due(now + timedelta(seconds=11)) == 2
    events = receiver.events(secret)
    assert [e["event"] for e in events] == ["exercise.opened", "submission.accepted"]
    assert events[1]["payload"]["partner"] == "inst-a"
    assert events[1]["payload"]["exercise"] == exercise and events[1]["payload"]["ledger_hash"]
    log = admin.call("GET", "/institutes/inst-a/webhook-deliveries")
    assert all(d["delivered_at"] and d["attempts"] == 2 for d in log)
    code = runner.invoke(
        app,
        ["hub", "webhooks", "inst-a", "--deliveries"],
        env={"ACCORD_HUB_URL": served.url, "ACCORD_TOKEN": served.tokens["a-admin"]},
    )
    assert code.exit_code == 0 and "submission.accepted" in code.output

    # A deviation and a rejection, queued while the receiver is down ...
    served.api("b-evaluator").submit(exercise, bundles.b)
    served.api("b-evaluator").submit(exercise, bundles.b_other_data)
    with bundles.a_other_protocol.open("rb") as stream:
        rejected = admin.http.post(
            f"/exercises/{exercise}/submissions", files={"bundle": ("x.accord", stream)}
        )
    assert rejected.status_code == 422, rejected.text
    assert served.hub.deliver_due(served.hub.clock()) == 0
    served.hub.engine.dispose()

    # ... then the hub restarts (a new process on the same database) and the receiver is up.
    restarted = open_hub(served.db, served.data)
    with receiver.up(), serve_in_background(create_app(restarted)):
        dispatcher = WebhookDispatcher(
            lambda: restarted.deliver_due(restarted.clock() + timedelta(minutes=5)), 0.05
        ).start()
        try:
            for _ in range(200):
                names = [e["event"] for e in receiver.events(secret)]
                if "submission.rejected" in names and "deviation.found" in names:
                    break
                threading.Event().wait(0.05)
        finally:
            dispatcher.stop()
    names = [e["event"] for e in receiver.events(secret)]
    assert names.count("submission.accepted") == 3
    assert "deviation.found" in names and "submission.rejected" in names
    ids = [e["id"] for e in receiver.events(secret)]
    assert len(ids) == len(set(ids))  # each notification once

    # A disabled webhook gets nothing more.
    admin.call("POST", f"/institutes/inst-a/webhooks/{hook['id']}/disable")
    admin.call("POST", f"/exercises/{exercise}/close")
    before = len(receiver.received)
    with receiver.up():
        assert restarted.deliver_due(restarted.clock() + timedelta(hours=2)) == 0
    assert len(receiver.received) == before


@pytest.mark.parametrize("database", BACKENDS, indirect=True)
def test_embargo_passed_is_announced_once(served: Served, bundles: Bundles) -> None:
    data = yaml.safe_load(bundles.protocol_yaml)
    data["name"], data["embargo_until"] = "embargoed", "2099-01-01"
    receiver = Receiver()
    admin = served.api("a-admin")
    hook = admin.call(
        "POST",
        "/institutes/inst-a/webhooks",
        json={"url": receiver.url, "events": ["embargo.passed"], "exercise_id": "embargoed"},
    )
    admin.call("POST", "/exercises", json={"protocol_yaml": yaml.safe_dump(data)})
    with receiver.up():
        assert served.hub.deliver_due() == 0  # not yet
        after = datetime(2099, 1, 1, 0, 1, tzinfo=UTC)
        assert served.hub.deliver_due(after) == 1
        assert served.hub.deliver_due(after + timedelta(days=1)) == 0  # once only
    [event] = receiver.events(hook["secret"])
    assert event["event"] == "embargo.passed" and event["subject"] == "embargoed"

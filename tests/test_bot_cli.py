"""``progressbot web`` / ``run`` start-up, and the lazy WSGI application for gunicorn."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import types
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from progressbot.cli import main
from tests.support import slack_signing as signing


def test_web_and_run_name_missing_settings(database):
    runner = CliRunner()
    result = runner.invoke(
        main, ["--database-url", database.url, "web"], env={"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}
    )
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in result.output
    result = runner.invoke(
        main,
        ["--database-url", database.url, "run"],
        env={"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_APP_TOKEN": ""},
    )
    assert result.exit_code == 2 and "SLACK_APP_TOKEN" in result.output


def test_importing_the_wsgi_module_builds_nothing():
    code = (
        "import os; os.environ.pop('SLACK_BOT_TOKEN', None); import progressbot.wsgi as w; "
        "assert w.application._app is None; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[1],
    )
    assert out.stdout.strip() == "ok", out.stderr


def test_progressbot_web_serves_healthz_and_signed_commands(database, fake_slack, tmp_path):
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-web",
        "SLACK_SIGNING_SECRET": "web-secret",
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": database.url,
    }
    exe = Path(sys.executable).with_name("progressbot")
    proc = subprocess.Popen(
        [str(exe), "web", "--port", "0", "--host", "127.0.0.1"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        port = None
        for line in proc.stderr:  # the first line names the port the OS picked
            match = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)
            if match:
                port = int(match.group(1))
                break
        assert port, "progressbot web did not start"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as resp:
            assert json.loads(resp.read()) == {"ok": True}
        url = f"http://127.0.0.1:{port}/slack/events"
        status, _, body = signing.post(url, signing.slash_command("help", user_id="U0ANY"), "web-secret")
        assert status == 200 and "/progress update 3.2" in body
        status, _, _ = signing.post(url, signing.slash_command("help", user_id="U0ANY"), "wrong")
        assert status == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_run_starts_socket_mode_and_the_scheduler_in_one_process(database, fake_slack, monkeypatch):
    from apscheduler.events import EVENT_JOB_REMOVED

    import progressbot.scheduler
    import progressbot.socket_mode
    from progressbot.lifecycle import StopSignal

    started = {}

    class FakeHandler:
        def __init__(self, app, settings):
            started["app_token"] = settings.slack_app_token
            started["verifies_signatures"] = any(
                type(m).__name__ == "RequestVerification" for m in app._middleware_list
            )

            self.client = types.SimpleNamespace(auto_reconnect_enabled=True)

        def connect(self):
            started["socket"] = True  # this one returns once the scheduler has run its start-up
            # catch-up passes, so shutting down does not race them
            assert catch_ups_done.wait(timeout=30)

        def close(self):
            started["closed"] = True

    real_create = progressbot.scheduler.create_scheduler

    catch_ups_done = threading.Event()
    removed: set[str] = set()

    def on_removed(event):
        removed.add(event.job_id)
        if {"reminder-catch-up", "digest-catch-up"} <= removed:
            catch_ups_done.set()

    def spy(settings, session_factory, client, *, scheduler_class):
        scheduler = real_create(settings, session_factory, client, scheduler_class=scheduler_class)
        scheduler.add_listener(on_removed, EVENT_JOB_REMOVED)
        started["scheduler"] = scheduler
        return scheduler

    monkeypatch.setattr(progressbot.socket_mode, "make_socket_handler", FakeHandler)
    monkeypatch.setattr(StopSignal, "wait", lambda self: "SIGTERM")  # stopped once connected
    monkeypatch.setattr(progressbot.scheduler, "create_scheduler", spy)
    result = CliRunner().invoke(
        main,
        ["--database-url", database.url, "run"],
        env={"SLACK_BOT_TOKEN": "xoxb-run", "SLACK_APP_TOKEN": "xapp-run", "SLACK_API_URL": fake_slack.url},
    )
    assert result.exit_code == 0, result.output
    assert started["socket"] and started["app_token"] == "xapp-run"
    assert started["verifies_signatures"] is False  # the socket is authenticated by the app token
    assert started["scheduler"] is not None and not started["scheduler"].running  # shut down on exit
    assert started["closed"]

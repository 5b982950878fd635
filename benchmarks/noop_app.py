"""The no-op Bolt app the web benchmarks compare against: progressbot's Bolt settings, server and
verified edge (``bot.wsgi``), and a view listener that only acknowledges.

``application`` is built from the environment (``SLACK_SIGNING_SECRET``, ``SLACK_API_URL``) on first
use, for gunicorn (``--chdir benchmarks noop_app:application``); ``python benchmarks/noop_app.py`` serves
it on the stdlib server and prints the URL.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App
from slack_sdk import WebClient

from bot.wsgi import make_server, make_wsgi_app


def build():
    secret = os.environ["SLACK_SIGNING_SECRET"]
    app = App(
        client=WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"]),
        signing_secret=secret,
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.view("progress_update")
    def submitted(ack):
        ack()

    return make_wsgi_app(app, signing_secret=secret)


class _Lazy:
    def __init__(self) -> None:
        self._app = None

    def __call__(self, environ, start_response):
        if self._app is None:
            self._app = build()
        return self._app(environ, start_response)


application = _Lazy()

if __name__ == "__main__":
    server = make_server(build(), "127.0.0.1", 0)
    print(f"listening on http://127.0.0.1:{server.server_port}/slack/events", file=sys.stderr, flush=True)
    server.serve_forever()

"""Listeners, one module per feature, each with ``register(app, services)``."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register_all(app: App, services: Services) -> None:
    from bot.listeners import commands, errors, governance, home, threads, updates

    for module in (errors, commands, updates, threads, home, governance):
        module.register(app, services)

"""Commands for this feature; attached to the ``progressbot`` group by ``register``."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach this module's commands to the top-level group (and its subgroups)."""

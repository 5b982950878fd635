"""progressbot: keeps an improvement action plan moving in Slack."""

__version__ = "0.1.0"

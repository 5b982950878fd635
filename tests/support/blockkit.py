"""Slack's Block Kit limits, checked the way Slack checks them (for tests and the fake Slack server).

``problems(blocks)`` lists every place a payload breaks a documented limit
(https://docs.slack.dev/reference/block-kit): Slack answers such a payload ``invalid_blocks``, so the
message, modal or Home tab never appears.
"""

from __future__ import annotations

from typing import Any

# Text-object limits by where the text object sits: (parent type, key) -> characters.
TEXT_LIMITS = {
    ("section", "text"): 3000,
    ("section", "fields"): 2000,
    ("header", "text"): 150,
    ("context", "elements"): 3000,
    ("button", "text"): 75,
    ("option", "text"): 75,
    ("option", "description"): 75,
    ("input", "label"): 2000,
    ("input", "hint"): 2000,
    ("any", "placeholder"): 150,
    ("modal", "title"): 24,
    ("modal", "submit"): 24,
    ("modal", "close"): 24,
    ("confirm", "title"): 100,
    ("confirm", "text"): 300,
    ("confirm", "confirm"): 30,
    ("confirm", "deny"): 30,
}
STRING_LIMITS = {
    "block_id": 255,
    "action_id": 255,
    "value": 2000,
    "url": 3000,
    "private_metadata": 3000,
    "callback_id": 255,
    "initial_value": 3000,
}
COUNT_LIMITS = {
    ("section", "fields"): 10,
    ("context", "elements"): 10,
    ("actions", "elements"): 25,
    ("static_select", "options"): 100,
    ("radio_buttons", "options"): 10,
    ("checkboxes", "options"): 10,
    ("overflow", "options"): 5,
}


def _text_len(obj: Any) -> int:
    return len(obj.get("text") or "") if isinstance(obj, dict) else 0


def _walk(node: Any, parent: str, path: str, out: list[str]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, parent, f"{path}[{i}]", out)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type") or ("option" if "value" in node and "text" in node else parent)
    if kind in ("plain_text", "mrkdwn"):
        return
    for key, value in node.items():
        where = f"{path}.{key}"
        if key in STRING_LIMITS and isinstance(value, str) and len(value) > STRING_LIMITS[key]:
            out.append(f"{where}: {len(value)} > {STRING_LIMITS[key]}")
        count = COUNT_LIMITS.get((kind, key))
        if count is not None and isinstance(value, list) and len(value) > count:
            out.append(f"{where}: {len(value)} items > {count}")
        limit = TEXT_LIMITS.get((kind, key)) or TEXT_LIMITS.get(("any", key))
        if limit is not None:
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, dict) and item.get("type") in ("plain_text", "mrkdwn"):
                    if _text_len(item) > limit:
                        out.append(f"{where}[{i}]: {_text_len(item)} > {limit}")
                    if _text_len(item) == 0 and not (item.get("text") or "").strip():
                        out.append(f"{where}[{i}]: empty text")
        _walk(value, kind, where, out)


def problems(blocks: list[Any], *, view: dict | None = None) -> list[str]:
    out: list[str] = []
    if view is not None:
        _walk({k: v for k, v in view.items() if k != "blocks"}, view.get("type", "modal"), "view", out)
    _walk(blocks, "blocks", "blocks", out)
    return out


MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000
RESPONSE_ACTIONS = {"update", "push", "errors", "clear"}


def ack_problems(body: str) -> list[str]:
    """What Slack would reject in the HTTP answer to a command or an interaction (the acknowledgement
    itself): a message over its limits, a ``response_action`` view over its limits, malformed
    ``errors``. An empty body is a plain acknowledgement."""
    import json

    if not body.strip():
        return []
    try:
        answer = json.loads(body)
    except ValueError:
        return []  # plain text: Slack shows it as the command's ephemeral reply
    if not isinstance(answer, dict):
        return [f"the acknowledgement is JSON but not an object: {body[:80]!r}"]
    out: list[str] = []
    action = answer.get("response_action")
    if action is not None:
        if action not in RESPONSE_ACTIONS:
            out.append(f"unknown response_action {action!r}")
        if action in ("update", "push"):
            view = answer.get("view")
            if not isinstance(view, dict) or view.get("type") != "modal":
                return [*out, f"response_action {action} without a modal view"]
            blocks = view.get("blocks") or []
            if len(blocks) > VIEW_BLOCK_LIMIT:
                out.append(f"view has {len(blocks)} blocks (limit {VIEW_BLOCK_LIMIT})")
            out += problems(blocks, view=view)
        if action == "errors":
            errors = answer.get("errors")
            if not errors or not isinstance(errors, dict):
                out.append("response_action errors without an errors object")
            else:
                out += [
                    f"errors[{k!r}] is not text" for k, v in errors.items() if not isinstance(v, str) or not v
                ]
        return out
    text = answer.get("text") or ""
    if len(text) > MESSAGE_TEXT_LIMIT:
        out.append(f"text of {len(text)} characters (limit {MESSAGE_TEXT_LIMIT})")
    blocks = answer.get("blocks") or []
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        out.append(f"message has {len(blocks)} blocks (limit {MESSAGE_BLOCK_LIMIT})")
    out += problems(blocks)
    if answer.get("response_type") not in (None, "ephemeral", "in_channel"):
        out.append(f"unknown response_type {answer['response_type']!r}")
    return out

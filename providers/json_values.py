"""Values of a service's JSON answer taken as the shape the code expects, or an empty one.

A service's answer is input like any other: an item with a field of the wrong type is read
as if the field were missing, never raised out of a pass.
"""

from __future__ import annotations

from typing import Any


def json_str(value: Any) -> str:
    """``value`` if it is a JSON string, else ``""``."""
    return value if isinstance(value, str) else ""


def json_object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def json_array(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def json_objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` if it is an array (other items are passed over)."""
    return [item for item in json_array(value) if isinstance(item, dict)]

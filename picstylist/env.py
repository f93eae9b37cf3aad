"""Reading settings from the environment: each helper raises ``ImproperlyConfigured`` on a malformed value.

An unset or empty variable gives the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

N = TypeVar("N", int, float)


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def _env_number(name: str, default: N, parse: Callable[[str], N], kind: str) -> N:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, got {value!r}") from None


def env_int(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    number = _env_number(name, default, int, "an integer")
    if number < minimum or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ImproperlyConfigured(f"{name} must be at least {minimum}{upper}, got {number}")
    return number


def env_float(name: str, default: float) -> float:
    number = _env_number(name, default, float, "a number")
    if number < 0:
        raise ImproperlyConfigured(f"{name} must not be negative, got {number}")
    return number


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as ``5/h`` (count / [number] unit of s, m, h or d)."""
    value = env_str(name, "") or default
    if not re.fullmatch(r"\d+/\d*[smhd]", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 5/h (count/[n]s, m, h or d), got {value!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]

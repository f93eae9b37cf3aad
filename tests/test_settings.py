"""Settings come from the environment; bad values stop the start with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .helpers import REPO


def load_settings(**env: str) -> subprocess.CompletedProcess:
    code = "import picstylist.settings as s; print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG)"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_embedded_default_is_sqlite_and_the_filesystem_broker():
    result = load_settings()
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://localhost//", "True"]


def test_database_and_broker_urls_select_postgresql_and_redis():
    result = load_settings(DATABASE_URL="postgres://u@db:5432/p", CELERY_BROKER_URL="redis://r:6379/0")
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis://r:6379/0", "True"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set when DEBUG is off"),
        ({"DEBUG": "maybe"}, "DEBUG must be a boolean"),
        ({"STYLIZER_MAX_SIDE": "big"}, "STYLIZER_MAX_SIDE must be an integer"),
        ({"STYLIZER_JPEG_QUALITY": "100"}, "STYLIZER_JPEG_QUALITY must be at least 1 and at most 95, got 100"),
        ({"STYLIZER_ENGINE": "torch"}, "STYLIZER_ENGINE must be 'onnx' or 'tfhub'"),
        ({"STYLIZER_TILE_SIDE": "128"}, "STYLIZER_TILE_SIDE must be 0 or a multiple of 4 from 256, got 128"),
        ({"STYLIZER_ONNX_RUNTIME": "tensorrt"}, "STYLIZER_ONNX_RUNTIME must be 'openvino' or 'onnxruntime'"),
        ({"PASSWORD_RESET_RATE": "5 per hour"}, "PASSWORD_RESET_RATE must be a rate such as 5/h"),
        ({"PASSWORD_RESET_ACCOUNT_RATE": "3/y"}, "PASSWORD_RESET_ACCOUNT_RATE must be a rate such as 5/h"),
    ],
)
def test_bad_values_are_refused(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr

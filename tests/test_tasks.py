"""The stylization task, run in this process on the real network."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gallery.tasks import stylize_stylization

from .helpers import CONTENT_DIR, UPLOADS_DIR, make_stylization


def test_task_stores_a_result_of_the_fitted_size_and_a_thumbnail(alice, public_style):
    stylization = make_stylization(
        alice, public_style, (CONTENT_DIR / "hubble_deep_field.jpg").read_bytes(), max_side=500
    )
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    assert stylization.status == "done"
    assert stylization.started <= stylization.finished
    with Image.open(stylization.result_image.open("rb")) as result:
        assert (result.format, result.size) == ("JPEG", (500, 436))
    assert (stylization.result_width, stylization.result_height) == (500, 436)
    with Image.open(stylization.thumbnail.open("rb")) as thumbnail:
        assert max(thumbnail.size) == 320


def test_damaged_photo_ends_failed_with_a_message_and_is_not_retried(alice, public_style):
    stylization = make_stylization(alice, public_style, (UPLOADS_DIR / "truncated_jpeg.jpg").read_bytes(), name="p.jpg")
    assert stylize_stylization(str(stylization.pk)) == "failed"
    stylization.refresh_from_db()
    assert stylization.status == "failed"
    assert "damaged or incomplete" in stylization.error_message
    assert not stylization.result_image


def test_missing_photo_file_ends_failed(alice, public_style):
    stylization = make_stylization(alice, public_style, b"x")
    stylization.photo.image.storage.delete(stylization.photo.image.name)
    assert stylize_stylization(str(stylization.pk)) == "failed"
    stylization.refresh_from_db()
    assert stylization.error_message == "The photo or style file of this stylization is missing."


def test_deleted_style_ends_failed(alice, public_style):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    public_style.delete()  # its weight row goes with it
    assert stylize_stylization(str(stylization.pk)) == "failed"
    stylization.refresh_from_db()
    assert "style" in stylization.error_message


def test_finished_stylization_is_not_run_again(alice, public_style):
    stylization = make_stylization(alice, public_style, (CONTENT_DIR / "chelsea.png").read_bytes())
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    first = stylization.result_image.name
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    assert stylization.result_image.name == first


def test_deleted_row_is_ignored(db):
    assert stylize_stylization("00000000-0000-0000-0000-000000000000") == "missing"


@pytest.mark.parametrize("size", [(777, 1001), (1001, 777)])
def test_odd_sizes_keep_their_size(alice, public_style, size):
    buffer = io.BytesIO()
    Image.open(CONTENT_DIR / "rocket.jpg").resize(size).save(buffer, "PNG")
    stylization = make_stylization(alice, public_style, buffer.getvalue(), max_side=2048)
    stylize_stylization(str(stylization.pk))
    stylization.refresh_from_db()
    with Image.open(stylization.result_image.open("rb")) as result:
        assert result.size == size

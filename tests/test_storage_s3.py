"""Object storage on a real S3-compatible server on 127.0.0.1 (moto's server mode)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from gallery.models import Style, Stylization
from gallery.storage import CACHE_SECONDS
from gallery.tasks import stylize_stylization
from picstylist.storages import spaces_storage

from .faults import FaultyProxy
from .helpers import CONTENT_DIR, STYLES_DIR, png_bytes, upload

PRIVATE_GRANTS = [("CanonicalUser", "FULL_CONTROL")]
PUBLIC_GRANTS = [("CanonicalUser", "FULL_CONTROL"), ("Group:AllUsers", "READ")]


def grants(s3, key: str) -> list[tuple[str, str]]:
    acl = s3.client.get_object_acl(Bucket=s3.name, Key=key)
    found = []
    for grant in acl["Grants"]:
        grantee = grant["Grantee"]
        who = grantee["Type"] if grantee["Type"] != "Group" else "Group:" + grantee["URI"].rsplit("/", 1)[-1]
        found.append((who, grant["Permission"]))
    return sorted(found)


def head(s3, key: str) -> dict:
    return s3.client.head_object(Bucket=s3.name, Key=key)


@pytest.fixture
def s3_style(s3, db) -> Style:
    with Image.open(STYLES_DIR / "the_scream.jpg") as image:
        return Style.objects.create_from_image(image.convert("RGB"), title="The Scream", is_public=True)


def run_one_stylization(alice_client, style, django_capture_on_commit_callbacks) -> Stylization:
    with django_capture_on_commit_callbacks(execute=False):
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "coffee.png"), "style": style.pk}
        )
    assert response.status_code == 302
    stylization = Stylization.objects.get()
    assert stylize_stylization(str(stylization.pk)) == "done"
    stylization.refresh_from_db()
    return stylization


def test_settings_refuse_a_bucket_in_the_endpoint():
    with pytest.raises(ImproperlyConfigured, match="contains the bucket name"):
        spaces_storage(
            bucket="pics",
            region="nyc3",
            endpoint_url="https://pics.nyc3.digitaloceanspaces.com",
            access_key="a",
            secret_key="b",
        )
    options = spaces_storage(bucket="pics", region="ams3", endpoint_url="", access_key="a", secret_key="b")["OPTIONS"]
    assert options["endpoint_url"] == "https://ams3.digitaloceanspaces.com"
    assert options["signature_version"] == "s3v4"
    assert options["location"] == ""


def test_objects_of_one_stylization_have_explicit_acl_type_and_cache(
    alice_client, s3, s3_style, django_capture_on_commit_callbacks
):
    stylization = run_one_stylization(alice_client, s3_style, django_capture_on_commit_callbacks)
    expected = {
        stylization.photo.image.name: ("private/photos/", "image/png", PRIVATE_GRANTS, "private"),
        stylization.result_image.name: ("private/results/", "image/jpeg", PRIVATE_GRANTS, "private"),
        stylization.thumbnail.name: ("private/thumbnails/", "image/jpeg", PRIVATE_GRANTS, "private"),
        stylization.preview_image.name: ("private/previews/", "image/jpeg", PRIVATE_GRANTS, "private"),
        s3_style.image.name: ("public/styles/", "image/jpeg", PUBLIC_GRANTS, "public"),
        s3_style.thumbnail.name: ("public/thumbnails/", "image/jpeg", PUBLIC_GRANTS, "public"),
    }
    assert s3.keys() == sorted(expected)
    for key, (prefix, content_type, acl, visibility) in expected.items():
        assert key.startswith(prefix)
        assert not key.startswith(s3.name), "the bucket is never repeated in the key"
        metadata = head(s3, key)
        assert metadata["ContentType"] == content_type, key
        assert metadata["CacheControl"] == f"{visibility}, max-age={CACHE_SECONDS}, immutable", key
        assert grants(s3, key) == acl, key
    with Image.open(stylization.result_image.open("rb")) as result:
        assert result.size == (600, 400)


def test_private_objects_need_a_presigned_url_that_expires(
    alice_client, s3, s3_style, django_capture_on_commit_callbacks
):
    stylization = run_one_stylization(alice_client, s3_style, django_capture_on_commit_callbacks)
    key = stylization.result_image.name
    assert requests.get(f"{s3.endpoint}/{s3.name}/{key}", timeout=10).status_code == 403

    before = datetime.now(UTC).replace(microsecond=0)
    presigned = stylization.result_image.url
    url = urlsplit(presigned)
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == s3.endpoint, "private URLs never go through the CDN domain"
    assert query["X-Amz-Expires"] == ["300"]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert 0 <= (signed_at - before).total_seconds() <= 5
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    response = requests.get(presigned, timeout=10)
    assert response.status_code == 200
    assert response.content == stylization.result_image.open("rb").read()


def test_public_objects_are_readable_and_use_the_cdn_domain(s3, s3_style):
    key = s3_style.image.name
    assert requests.get(f"{s3.endpoint}/{s3.name}/{key}", timeout=10).status_code == 200
    assert s3_style.image.url == f"https://cdn.example.test/{key}"


def test_file_views_redirect_to_presigned_urls_only_after_the_permission_check(
    alice_client, client, bob, s3, s3_style, django_capture_on_commit_callbacks
):
    stylization = run_one_stylization(alice_client, s3_style, django_capture_on_commit_callbacks)
    url = reverse("gallery:file", args=[stylization.pk, "result"])
    response = alice_client.get(url + "?download")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    target = response["Location"]
    assert "X-Amz-Signature=" in target
    downloaded = requests.get(target, timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404


def test_deleting_rows_deletes_their_objects_after_commit(
    alice_client, s3, s3_style, django_capture_on_commit_callbacks
):
    stylization = run_one_stylization(alice_client, s3_style, django_capture_on_commit_callbacks)
    style_keys = {s3_style.image.name, s3_style.thumbnail.name}
    assert len(s3.keys()) == 6
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stylization.delete()
    assert len(s3.keys()) == 6, "nothing is deleted before the commit"
    for callback in callbacks:
        callback()
    assert set(s3.keys()) == style_keys
    with django_capture_on_commit_callbacks(execute=True):
        s3_style.delete()
    assert s3.keys() == []


def test_audit_reports_and_removes_orphans_and_reports_missing_objects(
    alice_client, s3, s3_style, django_capture_on_commit_callbacks, capsys
):
    stylization = run_one_stylization(alice_client, s3_style, django_capture_on_commit_callbacks)
    s3.client.put_object(Bucket=s3.name, Key="private/results/orphan.jpg", Body=png_bytes())
    s3.client.delete_object(Bucket=s3.name, Key=stylization.thumbnail.name)

    call_command("audit_storage", "--min-age", "0")
    report = capsys.readouterr().out
    assert "orphan object: private/results/orphan.jpg" in report
    assert f"missing object: {stylization.thumbnail.name} (stylization {stylization.pk}, thumbnail)" in report
    assert "1 orphan objects, 1 rows with missing objects" in report
    assert "private/results/orphan.jpg" in s3.keys()

    call_command("audit_storage", "--min-age", "0", "--delete-orphans")
    assert "private/results/orphan.jpg" not in s3.keys()
    assert "deleted 1 orphan objects" in capsys.readouterr().out


def test_audit_leaves_young_objects_alone(s3, capsys, db):
    s3.client.put_object(Bucket=s3.name, Key="private/photos/just-uploaded.png", Body=png_bytes())
    call_command("audit_storage", "--delete-orphans")
    assert "private/photos/just-uploaded.png" in s3.keys()
    assert "0 orphan objects" in capsys.readouterr().out


def test_presigned_url_lifetime_follows_its_setting(s3, s3_style):
    # The test server does not enforce expiry (../shared/FACTS.md), so the
    # lifetime is read from the signed URL itself.
    url = s3_style.image.storage.url("private/photos/x.png", expire=60)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["60"]


def test_upload_when_storage_fails_is_a_form_error_and_saves_nothing(alice_client, s3, s3_style):
    port = int(s3.endpoint.rsplit(":", 1)[1])
    with FaultyProxy(port) as proxy:
        s3.configure(f"http://127.0.0.1:{proxy.port}")
        proxy.fail("PUT", "/private/photos/", failures=1)
        response = alice_client.post(
            reverse("gallery:home"), {"photo": upload(CONTENT_DIR / "coffee.png"), "style": s3_style.pk}
        )
    assert response.status_code == 200
    assert "could not store your file" in " ".join(response.context["form"].non_field_errors())
    assert proxy.injected == 1
    assert Stylization.objects.count() == 0
    assert s3.keys() == sorted([s3_style.image.name, s3_style.thumbnail.name])


def test_boto3_attempts_are_counted_in_total():
    config = spaces_storage(
        bucket="pics", region="nyc3", endpoint_url="", access_key="a", secret_key="b", max_attempts=2
    )["OPTIONS"]["client_config"]
    assert config.retries == {"total_max_attempts": 2, "mode": "standard"}

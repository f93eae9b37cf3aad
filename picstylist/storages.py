"""The storage settings' builders: a DigitalOcean Spaces (S3 API) entry for ``STORAGES``, and
the image sources the Content-Security-Policy allows for it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def spaces_storage(
    *,
    bucket: str,
    region: str,
    endpoint_url: str,
    access_key: str,
    secret_key: str,
    cdn_domain: str = "",
    addressing_style: str = "virtual",
    url_expire: int = 300,
    max_attempts: int = 3,
    timeout: int = 10,
) -> dict[str, Any]:
    """The ``STORAGES["default"]`` entry for a DigitalOcean Spaces bucket (or any S3 API).

    ``endpoint_url`` defaults to ``https://<region>.digitaloceanspaces.com``;
    the bucket is never repeated in it (nor in the keys). ``cdn_domain`` is
    used for public objects only. ``url_expire`` is the lifetime of presigned
    URLs of private objects (seconds); ``max_attempts`` and ``timeout`` (s)
    configure boto3's own retries before the task's retries take over.
    """
    from botocore.config import Config  # lazy: botocore is needed only when a bucket is configured

    if not region:
        raise ImproperlyConfigured("SPACES_REGION must be set with SPACES_BUCKET (for example nyc3)")
    if not access_key or not secret_key:
        raise ImproperlyConfigured("SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY must be set with SPACES_BUCKET")
    endpoint_url = endpoint_url or f"https://{region}.digitaloceanspaces.com"
    host = (urlsplit(endpoint_url).hostname or "").lower()
    if bucket.lower() in host.split("."):
        raise ImproperlyConfigured(
            f"SPACES_ENDPOINT_URL {endpoint_url!r} contains the bucket name; "
            f"use the region endpoint, e.g. https://{region}.digitaloceanspaces.com"
        )
    if addressing_style not in {"virtual", "path"}:
        raise ImproperlyConfigured(f"SPACES_ADDRESSING_STYLE must be virtual or path, got {addressing_style!r}")
    return {
        "BACKEND": "gallery.storage.SpacesStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region,
            "endpoint_url": endpoint_url,
            "access_key": access_key,
            "secret_key": secret_key,
            "custom_domain": cdn_domain or None,
            "signature_version": "s3v4",
            "addressing_style": addressing_style,
            "querystring_auth": True,
            "querystring_expire": url_expire,
            "location": "",
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                connect_timeout=timeout,
                read_timeout=timeout,
            ),
        },
    }


def image_sources(storage: dict[str, Any]) -> list[str]:
    """The CSP ``img-src`` (and ``media-src``) for a ``STORAGES`` entry: this site, the upload page's local
    preview (blob:), and the bucket and CDN of an S3 storage."""
    sources = ["'self'", "data:", "blob:"]
    options = storage.get("OPTIONS", {})
    if options.get("endpoint_url"):
        endpoint = urlsplit(options["endpoint_url"])
        sources.append(f"{endpoint.scheme}://{endpoint.netloc}")
        sources.append(f"{endpoint.scheme}://{options['bucket_name']}.{endpoint.netloc}")
    if options.get("custom_domain"):
        sources.append(f"https://{options['custom_domain']}")
    return sources

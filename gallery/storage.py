"""Object storage: one bucket, public and private objects told apart by key prefix.

Keys look like ``private/photos/<32 hex>.jpg`` or ``public/styles/<32 hex>.jpg``:
random (uuid4), never derived from the uploaded file's name, with the
extension of the decoded format. On DigitalOcean Spaces (S3 API, through
django-storages and boto3) each object gets its ACL, ``Content-Type`` and
``Cache-Control`` explicitly from its key:

- ``public/...``: ``public-read``, served from the CDN domain if one is set;
- ``private/...``: ``private``, reached only through a presigned URL from the
  Spaces endpoint itself (a CDN domain would drop the signature), issued by a
  view after its permission check.

The local file storage of the embedded default uses the same keys; its files
are streamed by the same views.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PUBLIC_PREFIX = "public/"
PRIVATE_PREFIX = "private/"
#: Content-Type of each extension PicStylist writes (set from the decoded format).
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "heic": "image/heic",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "avi": "video/x-msvideo",
}
#: Every key is written once and never reused, so every object is immutable.
CACHE_SECONDS = 365 * 24 * 3600
#: S3 error codes that mean "try again later".
TRANSIENT_ERROR_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ServiceUnavailable", "InternalError"}
)


def is_public_key(name: str) -> bool:
    return name.startswith(PUBLIC_PREFIX)


def object_parameters(name: str) -> dict[str, str]:
    """ACL, Content-Type and Cache-Control of the object ``name``, decided by its key."""
    public = is_public_key(name)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "ACL": "public-read" if public else "private",
        "ContentType": CONTENT_TYPES.get(extension, "application/octet-stream"),
        "CacheControl": f"{'public' if public else 'private'}, max-age={CACHE_SECONDS}, immutable",
    }


def is_transient_storage_error(exc: BaseException) -> bool:
    """True for storage errors worth retrying: connection failures, timeouts, 5xx, throttling."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or status == 429 or error.get("Code") in TRANSIENT_ERROR_CODES
    if isinstance(exc, BotoConnectionError | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, BotoCoreError) and "timeout" in type(exc).__name__.lower()


class SpacesStorage(S3Storage):
    """django-storages' S3 backend for a DigitalOcean Spaces bucket (or any S3 API).

    Objects are never overwritten (keys are random), and ACLs are set per
    object from the key, never left to the bucket's default.
    """

    file_overwrite = False
    default_acl = "private"

    def get_object_parameters(self, name: str) -> dict[str, str]:
        return {**super().get_object_parameters(name), **object_parameters(name)}

    def url(self, name: str, parameters: dict | None = None, expire: int | None = None, http_method=None) -> str:
        """CDN URL for public objects; a presigned endpoint URL (``expire`` s) for private ones."""
        key = self._normalize_name(clean_name(name))
        if is_public_key(key):
            if self.custom_domain:
                return f"{self.url_protocol}//{self.custom_domain}/{filepath_to_uri(key)}"
            client = self.unsigned_connection.meta.client
            return client.generate_presigned_url("get_object", Params={"Bucket": self.bucket_name, "Key": key})
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": key}
        return self.connection.meta.client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=expire if expire is not None else self.querystring_expire,
            HttpMethod=http_method,
        )

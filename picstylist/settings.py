"""PicStylist settings, read from the environment.

Every value has a safe development default so that the site runs on its
embedded default (SQLite, files under a local media folder, kombu's
filesystem broker) with no environment at all. Set ``DATABASE_URL`` and
``CELERY_BROKER_URL`` to use PostgreSQL and Redis. Malformed values raise
``ImproperlyConfigured``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from picstylist.env import env_bool, env_float, env_int, env_list, env_rate, env_str
from picstylist.storages import image_sources, spaces_storage
from stylizer import registry

BASE_DIR = Path(__file__).resolve().parent.parent


# Where the embedded default keeps its database, media files and broker queue.
DATA_DIR = BASE_DIR / env_str("PICSTYLIST_DATA_DIR", "var")  # relative paths are under BASE_DIR

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off (e.g. www.example.com)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gallery.admin_apps.PicStylistAdminConfig",  # django.contrib.admin with the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "picstylist.apps.PicStylistConfig",  # makes the embedded default's folders at start-up
    "gallery",
    "stylizer",
]

MIDDLEWARE = [
    "picstylist.isolation.CrossOriginIsolationMiddleware",  # first: static files get it too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Behind nginx the client's address is in X-Real-IP (nginx sets it from CF-Connecting-IP).
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY", "REMOTE_ADDR")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login throttling, before the real backend
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: after AXES_FAILURE_LIMIT failed logins for one username from one
# address, that pair is locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_TIME", 1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = env_bool("AXES_VERBOSE", False)  # its start-up banner, printed by every process
AXES_IPWARE_META_PRECEDENCE_ORDER = [RATELIMIT_IP_META_KEY, "REMOTE_ADDR"]

ROOT_URLCONF = "picstylist.urls"
WSGI_APPLICATION = "picstylist.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-backed test database, so that a Celery worker started as another
    # process by the tests sees the rows the tests commit.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_db.sqlite3")}
    # IMMEDIATE: a transaction takes the write lock at its start, so a check and the
    # insert it guards (gallery.quotas) cannot interleave with a parallel request's.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:mine"
LOGOUT_REDIRECT_URL = "gallery:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
# The files the live preview runs in the page (stylizer.browser_assets), written by
# `manage.py browser_assets` (bin/serve, bin/test and the Dockerfile run it), served as static/browser/.
BROWSER_ASSETS_DIR = BASE_DIR / "build" / "browser"
STATICFILES_DIRS = [BASE_DIR / "static", ("browser", BROWSER_ASSETS_DIR)]

# Uploaded and generated files. They are never served from MEDIA_URL
# directly: views check permissions and stream them through the storage API.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "picstylist.staticfiles.StaticFilesStorage"
    },
}
SPACES_BUCKET = env_str("SPACES_BUCKET", "")
if SPACES_BUCKET:
    STORAGES["default"] = spaces_storage(
        bucket=SPACES_BUCKET,
        region=env_str("SPACES_REGION", ""),
        endpoint_url=env_str("SPACES_ENDPOINT_URL", ""),
        access_key=env_str("SPACES_ACCESS_KEY_ID", ""),
        secret_key=env_str("SPACES_SECRET_ACCESS_KEY", ""),
        cdn_domain=env_str("SPACES_CDN_DOMAIN", ""),
        addressing_style=env_str("SPACES_ADDRESSING_STYLE", "virtual"),
        url_expire=env_int("SPACES_URL_EXPIRE", 300, minimum=1),
        max_attempts=env_int("SPACES_MAX_ATTEMPTS", 3, minimum=1),
        timeout=env_int("SPACES_TIMEOUT", 10, minimum=1),
    )

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PicStylist <noreply@localhost>")

# A cache shared by the web processes (rate limits): Redis at CACHE_URL (use a
# database of its own, never the broker's: clearing the cache empties it), else
# files under the data folder.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "picstylist.cache.LockedFileBasedCache",  # atomic rate-limit counters
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
# Abuse limits: sign-ups per address per hour (django-ratelimit), and per-user
# quotas (gallery.quotas): stylizations and style uploads per hour, bytes stored.
SIGNUP_RATE = env_rate("SIGNUP_RATE", "10/h")
# Password-reset requests per address, and reset mails per account whoever asks.
PASSWORD_RESET_RATE = env_rate("PASSWORD_RESET_RATE", "5/h")
PASSWORD_RESET_ACCOUNT_RATE = env_rate("PASSWORD_RESET_ACCOUNT_RATE", "3/h")
STYLIZER_QUOTA_PER_HOUR = env_int("STYLIZER_QUOTA_PER_HOUR", 60, minimum=1)
STYLE_QUOTA_PER_HOUR = env_int("STYLE_QUOTA_PER_HOUR", 20, minimum=1)
STYLIZER_QUOTA_BYTES = env_int("STYLIZER_QUOTA_BYTES", 1024 * 1024 * 1024, minimum=1)

# Uploads: the form refuses larger files before decoding them.
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery. The embedded default is kombu's filesystem transport, which needs
# no server; a worker started from the same checkout shares its folder.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
CELERY_BROKER_DIR = Path(env_str("CELERY_BROKER_DIR", str(DATA_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str | float] = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
    # Seconds between looks at the queue folder when it is empty (kombu's
    # default is 1.0, which adds up to a second to every job's wait); one
    # directory listing per look.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = env_float("CELERY_BROKER_POLLING_INTERVAL", 0.1)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 1, minimum=1)
# Stylizations that run at once over all worker machines: the queue's
# estimated wait shares the jobs ahead among them.
STYLIZER_QUEUE_WORKERS = env_int("STYLIZER_QUEUE_WORKERS", CELERY_WORKER_CONCURRENCY, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Loading the networks in each child after the fork takes a few seconds.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60
# Seconds the worker waits, after a child dies mid-job, before it hands the job back for
# another delivery (Celery's worker_lost_wait; its default, 10).
CELERY_WORKER_LOST_WAIT = env_float("CELERY_WORKER_LOST_WAIT", 10.0)
CELERY_TASK_ALWAYS_EAGER = False
# A worker running a job updates its heartbeat every sixth of this (s); a
# running job silent for this long had its worker die, and the sweep (every
# STYLIZER_SWEEP_SECONDS, Celery beat) queues it again. A job whose worker was
# killed is running again within timeout + sweep interval.
STYLIZER_HEARTBEAT_TIMEOUT = env_int("STYLIZER_HEARTBEAT_TIMEOUT", 60, minimum=6)
STYLIZER_SWEEP_SECONDS = env_int("STYLIZER_SWEEP_SECONDS", 15, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sweep-stylizations": {"task": "stylizer.sweep_stylizations", "schedule": float(STYLIZER_SWEEP_SECONDS)},
}
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(DATA_DIR / "celerybeat-schedule"))
# Sized from what was measured on a 2-core machine: a whole stylization at the
# largest output (2048 x 2048 px) took 3.3-4.2 s in the worker (1024 px: about
# 1 s). The soft limit leaves 15x that for a loaded machine and slow storage;
# a soft timeout ends the job `failed` with a message, the hard one kills the
# child. The limits travel in each task message (gallery.models.Stylization.enqueue),
# so web and workers must share them: they share one env file.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90, minimum=1)
# Transient storage errors (timeouts, 5xx, throttling) are retried by the task
# this many times, waiting STYLIZER_STORAGE_RETRY_DELAY x 2^attempt seconds.
# A job queued or running longer than this (seconds) counts as stuck; staff may re-queue it.
STYLIZER_STUCK_AFTER = env_int("STYLIZER_STUCK_AFTER", 900, minimum=1)
STYLIZATION_LATE_AFTER_SECONDS = env_float("STYLIZATION_LATE_AFTER_SECONDS", 10)  # s past the wait shown: late
# A job whose worker died is tried again up to this many times in all.
STYLIZER_MAX_ATTEMPTS = env_int("STYLIZER_MAX_ATTEMPTS", 3, minimum=1)
STYLIZER_STORAGE_RETRIES = env_int("STYLIZER_STORAGE_RETRIES", 4)
STYLIZER_STORAGE_RETRY_DELAY = env_float("STYLIZER_STORAGE_RETRY_DELAY", 5.0)

# Stylization engine and image pipeline.
STYLIZER_ENGINE = env_str("STYLIZER_ENGINE", registry.DEFAULT_ENGINE)
if STYLIZER_ENGINE not in registry.ENGINE_NAMES:
    raise ImproperlyConfigured(
        f"STYLIZER_ENGINE must be {registry.choices(registry.ENGINE_NAMES)}, got {STYLIZER_ENGINE!r}"
    )
STYLIZER_TFHUB_HANDLE = env_str(
    "STYLIZER_TFHUB_HANDLE",
    "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2",
)
# Fold the transfer network's int8 quantization into float32 (1.4x faster, same look).
STYLIZER_ONNX_FLOAT_WEIGHTS = env_bool("STYLIZER_ONNX_FLOAT_WEIGHTS", True)
# What runs the onnx engine's networks: OpenVINO (faster) or onnxruntime; same pictures.
STYLIZER_ONNX_RUNTIME = env_str("STYLIZER_ONNX_RUNTIME", registry.DEFAULT_ONNX_RUNTIME)
if STYLIZER_ONNX_RUNTIME not in registry.ONNX_RUNTIMES:
    raise ImproperlyConfigured(
        f"STYLIZER_ONNX_RUNTIME must be {registry.choices(registry.ONNX_RUNTIMES)}, got {STYLIZER_ONNX_RUNTIME!r}"
    )
# Results over this many px squared are stylized in tiles of at most this side,
# so that a worker needs the memory of one such photo (0: never tile).
STYLIZER_TILE_SIDE = env_int("STYLIZER_TILE_SIDE", 1024, minimum=0)
if STYLIZER_TILE_SIDE and (STYLIZER_TILE_SIDE % 4 or STYLIZER_TILE_SIDE < 256):
    raise ImproperlyConfigured(f"STYLIZER_TILE_SIDE must be 0 or a multiple of 4 from 256, got {STYLIZER_TILE_SIDE}")
# Intra-op threads per worker process; 0 means cores / worker concurrency.
STYLIZER_INTRA_OP_THREADS = env_int("STYLIZER_INTRA_OP_THREADS", 0)
STYLIZER_MAX_SIDE = env_int("STYLIZER_MAX_SIDE", 1024, minimum=16)
# Output sizes offered to users (long side, px) are 512, 1024, 2048 and 4096 (prints), capped by this.
STYLIZER_MAX_SIDE_CAP = env_int("STYLIZER_MAX_SIDE_CAP", 4096, minimum=16)
# Each worker child runs the network once at this long side (px) right after
# it starts, so the first real job does not pay onnxruntime's first-call
# set-up (about 0.05 s at 1024 px here); 0 turns the warm-up off.
STYLIZER_WARMUP_SIDE = env_int("STYLIZER_WARMUP_SIDE", STYLIZER_MAX_SIDE)
# A file each worker child touches once its engine is loaded and warmed up
# (bin/serve waits for it before saying the site is ready); empty: none.
STYLIZER_READY_FILE = env_str("STYLIZER_READY_FILE", "")
STYLIZER_MAX_PIXELS = env_int("STYLIZER_MAX_PIXELS", 50_000_000, minimum=1)
# Photos and style images need at least this many px on each side: the style
# transfer network works at a quarter of the input's size, so a smaller one
# (or a thin strip) comes out as a smear.
STYLIZER_MIN_SIDE = env_int("STYLIZER_MIN_SIDE", 32, minimum=1)
STYLIZER_JPEG_QUALITY = env_int("STYLIZER_JPEG_QUALITY", 90, minimum=1, maximum=95)
STYLIZER_THUMBNAIL_SIDE = env_int("STYLIZER_THUMBNAIL_SIDE", 320, minimum=16)

# Clips: short videos and animated images (stylizer.clips). Refused past these
# before any work; the result's long side defaults to STYLIZER_CLIP_MAX_SIDE px.
STYLIZER_CLIP_MAX_SECONDS = env_float("STYLIZER_CLIP_MAX_SECONDS", 15.0)
STYLIZER_CLIP_MAX_LONG_SIDE = env_int("STYLIZER_CLIP_MAX_LONG_SIDE", 1920, minimum=16)
STYLIZER_CLIP_MAX_SHORT_SIDE = env_int("STYLIZER_CLIP_MAX_SHORT_SIDE", 1080, minimum=16)
STYLIZER_CLIP_MAX_FRAMES = env_int("STYLIZER_CLIP_MAX_FRAMES", 900, minimum=1)  # 15 s at 60 frames/s
STYLIZER_CLIP_MAX_BYTES = env_int("STYLIZER_CLIP_MAX_BYTES", 60 * 1024 * 1024, minimum=1)
STYLIZER_CLIP_MAX_SIDE = env_int("STYLIZER_CLIP_MAX_SIDE", 720, minimum=16)
STYLIZER_CLIP_MAX_SIDE_CAP = env_int("STYLIZER_CLIP_MAX_SIDE_CAP", 1080, minimum=16)
# Steadying (stylizer.steady): the previous frame's share where the flow is trusted,
# before and after the network; 0: off.
STYLIZER_CLIP_BLEND = env_float("STYLIZER_CLIP_BLEND", 0.8)
# Clips run on their own Celery queue, served by their own worker, so photos never wait behind one.
STYLIZER_CLIP_QUEUE = env_str("STYLIZER_CLIP_QUEUE", "clips")
# Clips that run at once over all worker machines (the clip queue's workers).
STYLIZER_CLIP_QUEUE_WORKERS = env_int("STYLIZER_CLIP_QUEUE_WORKERS", 1, minimum=1)
STYLIZER_CLIP_SOFT_TIME_LIMIT = env_int("STYLIZER_CLIP_SOFT_TIME_LIMIT", 900, minimum=1)
STYLIZER_CLIP_TIME_LIMIT = env_int("STYLIZER_CLIP_TIME_LIMIT", 960, minimum=1)
# Where workers write a clip's files while they encode it (one folder per stylization, removed after).
STYLIZER_CLIP_WORK_DIR = Path(env_str("STYLIZER_CLIP_WORK_DIR", str(DATA_DIR / "clip-work")))

# Security. Behind nginx and Cloudflare, TLS ends at nginx, which passes
# X-Forwarded-Proto on. Cookies, redirects and HSTS follow DEBUG.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probed over plain HTTP inside the network
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# With SecurityMiddleware's Cross-Origin-Opener-Policy (same-origin), pages are cross-origin isolated, so the
# live preview's WebAssembly may run threads (picstylist.isolation). "" sends no such header.
CROSS_ORIGIN_EMBEDDER_POLICY = env_str("CROSS_ORIGIN_EMBEDDER_POLICY", "credentialless")
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy (django-csp): no inline code, nothing from third parties.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": image_sources(STORAGES["default"]),
        # Clips: the upload page reads a video's middle frame from a blob:, result pages play from storage.
        "media-src": image_sources(STORAGES["default"]),
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Errors go to Sentry when SENTRY_DSN is set (see picstylist/sentry.py).
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    from picstylist.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        release=env_str("SENTRY_RELEASE", "") or None,
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
    )

# One stream, stderr. Requests refused with a 4xx (a multipart body without a
# boundary, a disallowed Host and the other SuspiciousOperations) are one
# WARNING line each, without Django's traceback; 500s keep theirs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "{levelname} {name}: {message}", "style": "{"}},
    "filters": {
        "client_errors_on_one_line": {"()": "picstylist.log.ClientErrorsOnOneLine"},
        "quiet_routine_tasks": {"()": "picstylist.log.QuietRoutineTasks"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_on_one_line", "quiet_routine_tasks"],
        }
    },
    # Django's own console handler (DEBUG only) printed every django.* record a
    # second time, before the filter: the records reach the root's alone.
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # django-axes logs four INFO lines per log-in; lock-outs and failures stay (WARNING).
        "axes": {"level": "WARNING"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

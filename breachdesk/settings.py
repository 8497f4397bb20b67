"""BreachDesk settings, all from the environment (django-environ)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from breachdesk.queues import transport_options

BASE_DIR = Path(__file__).resolve().parent.parent

# The .env file first, so that every setting below (BREACHDESK_VAR_DIR too) may come from it.
# The real environment wins over the file; a file named explicitly must exist, the default one may be absent.
env = environ.Env()
_env_file = Path(env.str("BREACHDESK_ENV_FILE", default=str(BASE_DIR / ".env")))
if "BREACHDESK_ENV_FILE" in env.ENVIRON and not _env_file.exists():
    raise ImproperlyConfigured(f"BREACHDESK_ENV_FILE names nothing: {_env_file}")
environ.Env.read_env(_env_file, overwrite=False)

VAR_DIR = Path(env.str("BREACHDESK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# "development" runs with no server and well-known keys; "production" refuses to start without secrets.
ENVIRONMENT = env.str("BREACHDESK_ENV", default="development")
IS_PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)

# Development-only keys: they protect nothing and production refuses them.
_DEVELOPMENT_SECRET_KEY = "development-only-secret-key-not-for-production"
_DEVELOPMENT_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA="
_DEVELOPMENT_BLIND_INDEX_KEY = "development-only-blind-index-key"
_DEVELOPMENT_AUDIT_KEY = "development-only-audit-key"

SECRET_KEY = env.str("SECRET_KEY", default="" if IS_PRODUCTION else _DEVELOPMENT_SECRET_KEY)
# Fernet keys, newest first: the first encrypts, all decrypt (rotation).
DATA_ENCRYPTION_KEYS: list[str] = env.list(
    "BREACHDESK_DATA_KEYS", default=[] if IS_PRODUCTION else [_DEVELOPMENT_ENCRYPTION_KEY]
)
BLIND_INDEX_KEY = env.str("BREACHDESK_BLIND_INDEX_KEY", default="" if IS_PRODUCTION else _DEVELOPMENT_BLIND_INDEX_KEY)
# HMAC key of the audit trail's hash chain, kept apart from the database so that its writers cannot re-seal it.
AUDIT_CHAIN_KEY = env.str("BREACHDESK_AUDIT_KEY", default="" if IS_PRODUCTION else _DEVELOPMENT_AUDIT_KEY)

if IS_PRODUCTION:
    _missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("BREACHDESK_DATA_KEYS", DATA_ENCRYPTION_KEYS),
            ("BREACHDESK_BLIND_INDEX_KEY", BLIND_INDEX_KEY),
            ("BREACHDESK_AUDIT_KEY", AUDIT_CHAIN_KEY),
            ("DATABASE_URL", env.str("DATABASE_URL", default="")),
            ("CELERY_BROKER_URL", env.str("CELERY_BROKER_URL", default="")),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(f"Production settings need: {', '.join(_missing)}")
    if DEBUG:
        raise ImproperlyConfigured("Production settings refuse DEBUG=true")
    if SECRET_KEY == _DEVELOPMENT_SECRET_KEY or _DEVELOPMENT_ENCRYPTION_KEY in DATA_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("Production settings refuse the development keys")
    if BLIND_INDEX_KEY == _DEVELOPMENT_BLIND_INDEX_KEY or AUDIT_CHAIN_KEY == _DEVELOPMENT_AUDIT_KEY:
        raise ImproperlyConfigured("Production settings refuse the development keys")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "breachdesk",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "breachdesk.middleware.FrenchByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "breachdesk.signin.middleware.SessionLifetimeMiddleware",
    "breachdesk.signin.middleware.VerifiedSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout met during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "breachdesk.urls"
WSGI_APPLICATION = "breachdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'breachdesk.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes. IMMEDIATE transactions take the write lock first: a
    # transaction that read and then writes would otherwise fail at once with "database is locked" when another
    # process writes, instead of waiting its turn (two worker processes claiming reminders did).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
        }
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "breachdesk.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "breachdesk.signin.backends.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "first_name", "last_name", "email"]},
    },
    {"NAME": "breachdesk.signin.validators.UsernamePartsValidator"},
    # 12 characters: the length the CNIL's password recommendation (deliberation 2022-100) takes as its reference
    # for a password alone; these accounts open health data of hundreds of thousands of patients.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "breachdesk" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS: list[Path] = []
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
# A session ends after this long without a request the user made (polling pages do not count), and in any case
# this long after the login (seconds); the cookie lasts no longer than the absolute lifetime.
SESSION_IDLE_TIMEOUT_SECONDS = env.int("BREACHDESK_SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_LIFETIME_SECONDS = env.int("BREACHDESK_SESSION_LIFETIME", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_LIFETIME_SECONDS
X_FRAME_OPTIONS = "DENY"

# Sign-in security (README, "Sign-in security"). A second factor (TOTP, recovery codes) for every role in production.
REQUIRE_MFA = env.bool("BREACHDESK_REQUIRE_MFA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("BREACHDESK_OTP_ISSUER", default="BreachDesk")
MFA_RECOVERY_CODES = 10
# Lockout by account and, separately, by client address (django-axes).
AXES_FAILURE_LIMIT = env.int("BREACHDESK_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("BREACHDESK_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "breachdesk.signin.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "breachdesk.signin.addresses.client_address"
AXES_VERBOSE = False
# Addresses or networks of the reverse proxies whose X-Forwarded-For is believed; none by default, so the header
# is ignored and the peer's address counts.
TRUSTED_PROXIES: list[str] = env.list("BREACHDESK_TRUSTED_PROXIES", default=[])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production is HTTPS only, behind a TLS proxy: redirect plain HTTP and tell browsers never to use it (HSTS).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
# The header and value by which the TLS proxy says a request came over HTTPS, e.g. "X-Forwarded-Proto: https".
# Only when configured: trusting it without a proxy that sets it would let any client claim HTTPS.
_proxy_ssl_header = env.str("BREACHDESK_PROXY_SSL_HEADER", default="")
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition(":")
    if not _value.strip():
        raise ImproperlyConfigured(
            'BREACHDESK_PROXY_SSL_HEADER reads "Header-Name: value", e.g. "X-Forwarded-Proto: https"'
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _header.strip().upper().replace("-", "_"), _value.strip())

# Content Security Policy (django-csp 4): every script and style is a static file of this site; no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Celery: the database is the source of truth, the broker only wakes workers up.
# The filesystem transport ignores the host, but kombu warns at every connection when the URL names none.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
# Two installations sharing one Redis never run each other's tasks: each has its own queue and its own key prefix.
INSTALLATION = env.str("BREACHDESK_INSTALLATION", default="breachdesk")
if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", INSTALLATION):
    raise ImproperlyConfigured("BREACHDESK_INSTALLATION: 1 to 40 lower-case letters, digits, '-' or '_'")
# The same as breachdesk.queues.celery_isolation gives any other Celery app of the installation.
CELERY_TASK_DEFAULT_QUEUE = INSTALLATION
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = transport_options(INSTALLATION, CELERY_BROKER_URL)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    (_queue_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Seconds any one SMTP operation (connect, each command, the message data) may take, well under the claim heartbeat
# timeout: a stalled server connection ends in an error, never in a worker that outlives its claim (issue 13).
EMAIL_TIMEOUT = env.int("BREACHDESK_SMTP_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="breachdesk@localhost")

# Private files (uploads waiting for a worker, dossiers, letters, print batches, import progress): one storage that
# every web and worker machine shares, a directory (NFS mount) or an S3-compatible bucket; nothing in it is served
# but through views that check access. Personal data is encrypted by the application before it is stored.
PRIVATE_STORAGE_DIR = Path(env.str("BREACHDESK_PRIVATE_DIR", default=str(VAR_DIR / "private")))
PRIVATE_STORAGE_KIND = env.str("BREACHDESK_PRIVATE_STORAGE", default="filesystem")
if PRIVATE_STORAGE_KIND == "filesystem":
    STORAGES["private"] = {
        "BACKEND": "breachdesk.private_storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_DIR)},
    }
elif PRIVATE_STORAGE_KIND == "s3":
    _server_side_encryption = env.str("BREACHDESK_S3_SERVER_SIDE_ENCRYPTION", default="")
    _kms_key_id = env.str("BREACHDESK_S3_KMS_KEY_ID", default="")
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("BREACHDESK_S3_BUCKET"),
            "location": env.str("BREACHDESK_S3_PREFIX", default=""),
            "endpoint_url": env.str("BREACHDESK_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("BREACHDESK_S3_REGION", default="") or None,
            "access_key": env.str("BREACHDESK_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("BREACHDESK_S3_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("BREACHDESK_S3_ADDRESSING_STYLE", default="") or None,
            "object_parameters": {
                **({"ServerSideEncryption": _server_side_encryption} if _server_side_encryption else {}),
                **({"SSEKMSKeyId": _kms_key_id} if _kms_key_id else {}),
            },
            # Saving a name again replaces the object (key rotation, progress); no public URL is ever handed out.
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            # Reading downloads the object into a spooled temporary file, on disk above 8 MB (still encrypted).
            "max_memory_size": 8 * 1024 * 1024,
        },
    }
else:
    raise ImproperlyConfigured(f"BREACHDESK_PRIVATE_STORAGE must be filesystem or s3, not {PRIVATE_STORAGE_KIND!r}")
IMPORT_MAX_BYTES = env.int("BREACHDESK_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("BREACHDESK_IMPORT_MAX_ROWS", default=1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Larger uploads are patient files: encrypted chunk by chunk as they arrive, never in clear in a temporary file.
FILE_UPLOAD_HANDLERS = [
    "breachdesk.importing.upload.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "breachdesk.importing.upload.EncryptedTemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Request logs echo URLs and form errors; URLs carry ids only, but keep them quiet by default.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Art. 34 campaigns (notice ledger, letters, emails). Envelope windows in mm from the sheet's top-left corner.
NOTICE_ENVELOPE_STOCKS: dict[str, dict[str, float]] = {
    "dl-window-right": {"left": 110.0, "top": 55.0, "width": 85.0, "height": 33.0},
    "c5-window-right": {"left": 110.0, "top": 50.0, "width": 90.0, "height": 45.0},
}
NOTICE_ENVELOPE_STOCK = env.str("BREACHDESK_ENVELOPE_STOCK", default="dl-window-right")
NOTICE_LETTER_FONT = env.str("BREACHDESK_LETTER_FONT", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# DOMAIN.md section 9: no text sets the age for informing a minor directly; France's digital age (loi 78-17 art. 45).
NOTICE_DIGITAL_AGE = env.int("BREACHDESK_NOTICE_DIGITAL_AGE", default=15)
NOTICE_AGE_OF_MAJORITY = env.int("BREACHDESK_NOTICE_AGE_OF_MAJORITY", default=18)
NOTICE_BATCH_SIZE = env.int("BREACHDESK_NOTICE_BATCH_SIZE", default=500)
# Tasks that render one campaign's print batches side by side when it is launched or woken (each takes the next
# batch in postcode order; each renders the lab's letter masters once). 1 suits several labs at once (their
# campaigns fill the workers); set it to the worker processes when one large lab's letters should use them all.
NOTICE_RENDER_TASKS = env.int("BREACHDESK_NOTICE_RENDER_TASKS", default=1)
NOTICE_RETENTION_DAYS = env.int("BREACHDESK_NOTICE_RETENTION_DAYS", default=30)
NOTICE_CLAIM_TIMEOUT_SECONDS = env.int("BREACHDESK_NOTICE_CLAIM_TIMEOUT", default=900)
# A worker sending emails refreshes its claims' heartbeat this often; the sweep takes back a claim whose heartbeat is
# older than the timeout (the worker is gone): rows not yet handed to the SMTP server go back to pending.
NOTICE_CLAIM_HEARTBEAT_SECONDS = env.int("BREACHDESK_NOTICE_CLAIM_HEARTBEAT", default=5)
NOTICE_CLAIM_HEARTBEAT_TIMEOUT_SECONDS = env.int("BREACHDESK_NOTICE_CLAIM_HEARTBEAT_TIMEOUT", default=60)
NOTICE_EMAIL_CONNECTIONS = env.int("BREACHDESK_NOTICE_EMAIL_CONNECTIONS", default=2)
NOTICE_EMAIL_WINDOW = env.int("BREACHDESK_NOTICE_EMAIL_WINDOW", default=100)
NOTICE_EMAIL_MAX_ATTEMPTS = env.int("BREACHDESK_NOTICE_EMAIL_MAX_ATTEMPTS", default=8)
NOTICE_RETRY_BACKOFF_SECONDS: list[int] = [
    int(s) for s in env.list("BREACHDESK_NOTICE_RETRY_BACKOFF", default=["60", "300", "900", "3600", "10800"])
]
# Empty: the default email backend (SMTP over pooled connections); any anymail ESP backend works here too.
NOTICE_EMAIL_BACKEND = env.str("BREACHDESK_NOTICE_EMAIL_BACKEND", default="")
NOTICE_FROM_EMAIL = env.str("BREACHDESK_NOTICE_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
NOTICE_MESSAGE_ID_DOMAIN = env.str(
    "BREACHDESK_MESSAGE_ID_DOMAIN", default=DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
)
NOTICE_REQUEUE_AFTER_SECONDS = env.int("BREACHDESK_NOTICE_REQUEUE_AFTER", default=300)

# Imports: rows stored per batch, when a running import counts as stalled, how often the import lock is polled.
IMPORT_BATCH_SIZE = env.int("BREACHDESK_IMPORT_BATCH_SIZE", default=5000)
IMPORT_STALE_AFTER_SECONDS = env.int("BREACHDESK_IMPORT_STALE_AFTER", default=600)
IMPORT_PENDING_AFTER_SECONDS = env.int("BREACHDESK_IMPORT_PENDING_AFTER", default=120)
IMPORT_LOCK_POLL_SECONDS = env.float("BREACHDESK_IMPORT_LOCK_POLL", default=1.0)
IMPORT_INCIDENT_LOCK_POLL_SECONDS = env.float("BREACHDESK_IMPORT_INCIDENT_LOCK_POLL", default=0.05)

# The one beat schedule (run exactly one `celery beat`): what each periodic task does is in its docstring.
CELERY_BEAT_SCHEDULE = {
    "deadline-reminders": {"task": "notifications.tasks.send_deadline_reminders", "schedule": 60.0},
    "obligation-reminders": {"task": "notifications.tasks.send_obligation_reminders", "schedule": 300.0},
    "sweep": {"task": "notifications.campaign_tasks.sweep_campaigns", "schedule": 60.0},
    "purge-print-batches": {"task": "notifications.campaign_tasks.purge_print_batches", "schedule": 3600.0},
    "sweep-subject-imports": {"task": "breachdesk.tasks.sweep_subject_imports", "schedule": 300.0},
}

# Art. 34(1): persons are informed without undue delay after the decision to inform. While the breach file's
# campaign is not launched, its DPO and compliance officers are reminded this long after the decision, then
# at this interval (hours; no text sets the delay: keep it configurable).
INFORM_REMINDER_AFTER_HOURS = env.float("BREACHDESK_INFORM_REMINDER_AFTER_HOURS", default=24.0)
INFORM_REMINDER_INTERVAL_HOURS = env.float("BREACHDESK_INFORM_REMINDER_INTERVAL_HOURS", default=24.0)

# Absolute links in emails to DPOs and compliance officers (reminders, processor notices).
BREACHDESK_SITE_URL = env.str("BREACHDESK_SITE_URL", default="http://localhost:8000")

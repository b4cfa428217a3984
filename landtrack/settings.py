"""LandTrack settings, read from the environment.

Defaults suit local development only (SQLite file, debug on). In production set at least
``DJANGO_DEBUG=0``, ``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` and ``DATABASE_URL``.
"""

import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-landtrack-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS and not DEBUG:
    # Django would start and answer every request 400 (DisallowedHost): refuse at once instead.
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off (comma-separated host names, "
        "e.g. landtrack.example.cn)."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "landtrack.apps.AxesConfig",  # django-axes
    "csp",
    "landtrack",
    "leadership",
    "parcels",
    "tasks",
]

MIDDLEWARE = [
    # Behind the proxy: the client's address from X-Forwarded-For, which the sign-in lockout counts by.
    "landtrack.middleware.ClientAddressFromProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A NUL in a URL would reach PostgreSQL and fail there: refused before any view runs.
    "landtrack.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as its documentation asks: turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "landtrack.urls"
WSGI_APPLICATION = "landtrack.wsgi.application"
ASGI_APPLICATION = "landtrack.asgi.application"

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
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the database lock at the start of each transaction (IMMEDIATE) and wait
    # for it (timeout) instead of failing with "database is locked"; WAL lets readers go on meanwhile.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL prices an index lookup at 4 sequential page reads (random_page_cost), a spinning disk's
    # ratio: at national size it then hashed all 22,553 regions and 11,400 units to name a county's
    # parcels' towns and units (the admin's list: 7.6 ms of its statement, 3.2 at 1.1; a county page's
    # breakdown by town and unit: 9.7 ms, 1.5 at 1.1). 1.1 is the usual value where the database sits on
    # SSD or in memory; set per connection, so no server setting is needed. Empty: the server's own value.
    _page_cost = os.environ.get("LANDTRACK_PG_RANDOM_PAGE_COST", "1.1").strip()
    if _page_cost:
        try:
            if not 0 < float(_page_cost) <= 1000:
                raise ValueError(_page_cost)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"LANDTRACK_PG_RANDOM_PAGE_COST must be a number above 0 and at most 1000, not {_page_cost!r}."
            ) from error
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c random_page_cost={_page_cost}".strip()

# Test databases: SQLite as a file, not shared memory, so that concurrent-write tests meet the same locking
# as `make run`. LANDTRACK_TEST_DB_SUFFIX keeps test runs that share a checkout apart.
_test_suffix = os.environ.get("LANDTRACK_TEST_DB_SUFFIX", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f"test-landtrack{_test_suffix}.sqlite3")}
elif _test_suffix:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_test_suffix}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "leadership.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses any sign-in while the username/address pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Without collectstatic (development, tests) whitenoise serves from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# Chinese for the few messages Django's own catalogue leaves in English (compiled .mo is committed).
LOCALE_PATHS = [BASE_DIR / "locale"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Uploads: ledgers and coordinate files are small; anything larger is refused by the importers.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a request without credentials is answered 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["landtrack.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "landtrack.api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "landtrack.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["landtrack.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "landtrack.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "landtrack.api.schema.LandTrackAutoSchema",
    "DEFAULT_METADATA_CLASS": "landtrack.api.metadata.Metadata",
    "EXCEPTION_HANDLER": "landtrack.api.errors.exception_handler",
    "DATE_FORMAT": "%Y-%m-%d",
    # API.md: dates are YYYY-MM-DD. ISO 8601's other spellings (20230630, 2023-W26-5) are refused.
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNICODE_JSON": True,
    "ORDERING_PARAM": "ordering",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LandTrack API",
    "DESCRIPTION": (
        "批而未用土地清理台账的 REST 接口（v1）。认证：`Authorization: Token <key>`，令牌由 "
        "`POST /api/v1/auth/token/` 取得。地区一律以区划代码表示；面积为亩，输出保留 2 位小数；"
        "比例为百分数，保留 2 位小数；日期为 YYYY-MM-DD。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs say what each operation's extend_schema says, in Chinese; the code's docstrings are for its
    # developers (and a serializer without its own would show its base class's).
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    # Operations are grouped (tagged) by resource: parcels, tasks, regions …
    "SCHEMA_PATH_PREFIX": r"/api/v1/",
    "ENUM_NAME_OVERRIDES": {
        "DisposalMethodEnum": "parcels.choices.DisposalMethod",
        "ParcelKindEnum": "parcels.choices.ParcelKind",
        "RegionLevelEnum": "leadership.choices.RegionLevel",
        "UnitKindEnum": "leadership.choices.UnitKind",
        "RectificationStatusEnum": "tasks.choices.RectificationStatus",
        "TaskCategoryEnum": "tasks.choices.TaskCategory",
        "ExpropriationStatusEnum": "parcels.choices.ExpropriationStatus",
        "SupplyMethodEnum": "parcels.choices.SupplyMethod",
        "ParcelStatusEnum": "parcels.choices.ParcelStatus",
        "ProgressStatusEnum": "tasks.choices.ProgressStatus",
    },
}

# Maps (parcels.boundary_maps): drawn on the server as SVG, with no base map unless a deployment sets a
# Web Mercator tile URL with {z}/{x}/{y}, e.g. 天地图 with its key:
# https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY
LANDTRACK_MAP_TILE_URL = os.environ.get("LANDTRACK_MAP_TILE_URL", "")
LANDTRACK_MAP_TILE_ATTRIBUTION = os.environ.get("LANDTRACK_MAP_TILE_ATTRIBUTION", "")
# The projection zone assumed (with a warning) for a coordinate file whose eastings carry no zone prefix and
# whose header names no zone, when the county has no mapped parcel to go by. 临汾 lies in the CGCS2000 3° zone
# 37, which spans 109.5°–112.5°E; set another zone, or an empty value to refuse such files instead.
_default_zone = os.environ.get("LANDTRACK_DEFAULT_ZONE", "37").strip()
if _default_zone and not (_default_zone.isascii() and _default_zone.isdigit()):
    raise ImproperlyConfigured("LANDTRACK_DEFAULT_ZONE must be a zone number such as 37, or empty.")
LANDTRACK_DEFAULT_ZONE = int(_default_zone) if _default_zone else None

# The most parcels one ledger export writes (about 17 s and 110 MB at 100,000 rows; bench/excel.py): more
# is refused with a message asking to filter by county or kind, instead of running past the request's time.
LEDGER_EXPORT_MAX_ROWS = int(os.environ.get("LANDTRACK_EXPORT_MAX_ROWS", "100000"))

# Sign-in protection: five failures for one username from one address lock that pair out for
# half an hour (admin, dashboard and API token alike).
AXES_FAILURE_LIMIT = int(os.environ.get("LANDTRACK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LANDTRACK_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "landtrack.lockout.lockout_response"
AXES_VERBOSE = False
# The proxies (addresses or networks) whose X-Forwarded-For names the client (landtrack.middleware):
# nginx on this host, as gunicorn.conf.py's forwarded_allow_ips. Empty: the peer's address is the client's.
LANDTRACK_TRUSTED_PROXIES = env_list("LANDTRACK_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
for _proxy in LANDTRACK_TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"LANDTRACK_TRUSTED_PROXIES must list IP addresses or networks, not {_proxy!r}."
        ) from error

# Security. Production defaults are strict; each can be relaxed through the environment
# (for instance DJANGO_SECURE_SSL_REDIRECT=0 behind a proxy that already redirects).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("DJANGO_USE_X_FORWARDED_HOST", False)

# Content security policy (django-csp): every page — dashboard, admin, maps, API docs — loads its scripts,
# styles and images from this site only, with no inline script or style; a base-map tile server, when a
# deployment sets one, is the only other source of images.
_tile_origin = ""
if LANDTRACK_MAP_TILE_URL:
    from urllib.parse import urlsplit

    _tile = urlsplit(LANDTRACK_MAP_TILE_URL.replace("{", "").replace("}", ""))
    _tile_origin = f"{_tile.scheme}://{_tile.netloc}" if _tile.scheme and _tile.netloc else ""
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "landtrack@localhost")
# The SMTP server send_reminders mails through (Django's defaults: localhost:25, no sign-in, no TLS).
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)
# The site's address, for the links in reminder mails (send_reminders --site-url overrides it).
LANDTRACK_SITE_URL = os.environ.get("LANDTRACK_SITE_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

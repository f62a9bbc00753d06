"""Settings for the AI Glossary CMS, read from the environment.

Every variable is documented in README.md ("Configuration"). Development turns DEBUG
on explicitly (scripts/start does); everything else gets production-safe defaults.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    normalized = value.strip().lower()
    if normalized in {"1", "true", "yes", "on"}:
        return True
    if normalized in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from error


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from error


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "development-only-key-never-used-with-debug-off"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    # Before django_tasks_db: its db_worker command (with a heartbeat) takes over the library's.
    "glossary_project.worker",
    "django_tasks_db",
    "glossary_project.httpcache",
    "glossary_project.cdn",
    "reversion",
    "terms",
    "advisory",
    "apikeys",
    "webhooks",
]

# The headers every response carries: HSTS, nosniff, Referrer- and Cross-Origin-Opener-
# Policy, Content-Security-Policy, Permissions-Policy, frame denial, CORS for allowed origins.
# The WSGI fast path's 429, built outside this stack, is given them by running it through
# the same middleware (glossary_project/headers.py); cached API answers are stored with them.
RESPONSE_HEADER_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost of these, so that the CORS preflights it answers itself get the rest.
    "corsheaders.middleware.CorsMiddleware",
]
MIDDLEWARE = [
    # First: a repeated anonymous API read is answered from the cache with the headers
    # the rest of the stack gave it the first time (CORS ones are kept per Origin).
    "glossary_project.httpcache.middleware.HttpCacheMiddleware",
    # Next, so that its word is the last: a response to a request with Authorization is
    # private, no-store whatever an inner layer said, and a keyed request is audited.
    "apikeys.middleware.KeyedResponsesMiddleware",
    *RESPONSE_HEADER_MIDDLEWARE,
    # Probes next: plain HTTP (SECURE_REDIRECT_EXEMPT) and any Host header are fine for /health/.
    "glossary_project.health.HealthCheckMiddleware",
    # Before anything reads a body: 413 past its limit (glossary_project/bodies.py).
    "glossary_project.bodies.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Scheduled changes that have come due, applied before a page reads content (anonymous
    # API reads do so in HttpCacheMiddleware, before the response cache).
    "glossary_project.httpcache.middleware.ScheduledChangesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Cache-Control and cache tags: what a CDN or Varnish may keep (README "Putting
    # Varnish or a CDN in front").
    "glossary_project.cdn.middleware.EdgeCacheMiddleware",
    # Turns a locked-out admin login into the lock-out page (glossary_project/logins.py).
    "axes.middleware.AxesMiddleware",
    # Last, so it sees a view's exception first: a lost database is a 503, not a 500.
    "glossary_project.errors.DatabaseUnavailableMiddleware",
]
if env_bool("BENCH_QUERY_COUNT", False):
    MIDDLEWARE.insert(0, "bench.middleware.QueryCountMiddleware")

ROOT_URLCONF = "glossary_project.urls"

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
                "terms.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "glossary_project.wsgi.application"

# A SQLite file by default, so a fresh machine needs no database server.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not DATABASE_IS_POSTGRES:
    # A file, not memory, so that tests can start a server process that sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}
    # Each transaction takes SQLite's write lock as it begins, so one that reads and then
    # writes (the inquiry rate limit counts, then stores) never runs beside another.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
if DATABASE_IS_POSTGRES:
    INSTALLED_APPS.append("django.contrib.postgres")
    # Web requests run many short queries side by side; PostgreSQL's parallel workers
    # would add start-up time to each (8 ms measured on a search) and take the cores
    # the other requests need.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    # A database that does not answer fails a request in seconds instead of hanging it.
    _options.setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
    _options["options"] = (
        _options.get("options", "")
        + " -c max_parallel_workers_per_gather=0 -c random_page_cost=1.1"
    ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache is shared by every worker process when CACHE_URL names Redis; the default,
# local memory, is private to one process (fine for the development server). Redis is an
# accelerator, never a dependency: each call gives up after CACHE_TIMEOUT seconds, and
# after a failure Redis is skipped for CACHE_RETRY_SECONDS (README "When things fail").
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHE_TIMEOUT = env_float("CACHE_TIMEOUT", 0.25)
CACHE_RETRY_SECONDS = env_float("CACHE_RETRY_SECONDS", 5)
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "glossary_project.httpcache.backends.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "glossary",
            "OPTIONS": {
                "socket_timeout": CACHE_TIMEOUT,
                "socket_connect_timeout": CACHE_TIMEOUT,
            },
        }
    }
elif CACHE_URL:
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// address, not {CACHE_URL!r}.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The database holds which content generation is current; each process checks it at
# least this often, and serves nothing from any cache when it could not for MAX_AGE
# seconds (so a change is never hidden for longer, whatever failed).
CONTENT_GENERATION_CHECK_SECONDS = env_float("CONTENT_GENERATION_CHECK_SECONDS", 1)
CONTENT_GENERATION_MAX_AGE = env_float("CONTENT_GENERATION_MAX_AGE", 5)
if CONTENT_GENERATION_MAX_AGE < CONTENT_GENERATION_CHECK_SECONDS:
    raise ImproperlyConfigured(
        "CONTENT_GENERATION_MAX_AGE must be at least CONTENT_GENERATION_CHECK_SECONDS."
    )
# Content that changes by itself at a set time (README "Review and scheduling"): when
# the next change is due, and what applies the changes that are (httpcache.schedule).
CONTENT_SCHEDULE_NEXT = "terms.schedules.next_scheduled_change"
CONTENT_SCHEDULE_APPLY = "terms.schedules.schedules_apply_due"
# Not read paths of the public: no request there looks for changes that came due.
CONTENT_SCHEDULE_SKIP_PATHS = ["/admin/"]

# Whole API responses for anonymous readers, invalidated by any content change. On by
# default only where every process sees the same cache (Redis) or there is one process.
API_RESPONSE_CACHE = env_bool("API_RESPONSE_CACHE", bool(CACHE_URL) or DEBUG)
CONTENT_CACHE_SECONDS = env_int("CONTENT_CACHE_SECONDS", 3600)
# Responses each worker also keeps in its own memory (keyed by generation, never stale).
API_RECENT_RESPONSES = env_int("API_RECENT_RESPONSES", 500)
# What browsers may reuse without asking again (API responses and pages).
API_CACHE_MAX_AGE = env_int("API_CACHE_MAX_AGE", 60)
# Seconds browsers may reuse a public page before asking again (a 304 when unchanged): 0,
# so a reader sees a publish on the next page view; shared caches are purged instead.
PAGE_CACHE_MAX_AGE = env_int("PAGE_CACHE_MAX_AGE", 0)

# A CDN or Varnish in front (README "Putting Varnish or a CDN in front"): shared caches
# keep public responses this long (they are purged on each change), and serve them
# stale while they fetch them again or while the site fails.
CDN_SHARED_MAX_AGE = env_int("CDN_SHARED_MAX_AGE", 86400)
CDN_STALE_WHILE_REVALIDATE = env_int("CDN_STALE_WHILE_REVALIDATE", 60)
CDN_STALE_IF_ERROR = env_int("CDN_STALE_IF_ERROR", 86400)
# Where each content change is purged: comma-separated varnish:<url> (one per Varnish
# server), cloudflare:<zone id>, fastly:<service id> (glossary_project/cdn/backends.py).
CDN_PURGE_BACKENDS = env_list("CDN_PURGE_BACKENDS")
CDN_CLOUDFLARE_API_TOKEN = os.environ.get("CDN_CLOUDFLARE_API_TOKEN", "")
CDN_CLOUDFLARE_API_URL = os.environ.get(
    "CDN_CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4"
)
CDN_FASTLY_API_KEY = os.environ.get("CDN_FASTLY_API_KEY", "")
CDN_FASTLY_API_URL = os.environ.get("CDN_FASTLY_API_URL", "https://api.fastly.com")
CDN_PURGE_TIMEOUT = env_float("CDN_PURGE_TIMEOUT", 5)
# A purge that failed this many times purges everything instead; one still failing after
# CDN_PURGE_GIVE_UP_SECONDS is given up (what it was for has expired by then).
CDN_PURGE_ATTEMPTS = env_int("CDN_PURGE_ATTEMPTS", 4)
CDN_PURGE_GIVE_UP_SECONDS = env_int("CDN_PURGE_GIVE_UP_SECONDS", CDN_SHARED_MAX_AGE)
# A change of more terms than this (an import) purges everything.
CDN_PURGE_EVERYTHING_ABOVE = env_int("CDN_PURGE_EVERYTHING_ABOVE", 100)
# Each change is purged again this many seconds later: a web process may, for up to
# CONTENT_GENERATION_CHECK_SECONDS, rebuild a page from what it still believes current,
# and a shared cache that fetched it then would keep it. 0: no second purge.
CDN_REPURGE_SECONDS = env_float("CDN_REPURGE_SECONDS", CONTENT_GENERATION_CHECK_SECONDS + 1)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    # DRF's, with a 400 instead of a 500 for deep nesting, bad UTF-8 and lone surrogates.
    "DEFAULT_PARSER_CLASSES": ["terms.api.parsers.JSONParser"],
    # API keys first: a request without credentials is then a 401 with WWW-Authenticate:
    # Bearer where credentials are needed (README "API keys"); the session after them.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apikeys.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": [
        "glossary_project.httpcache.throttle.AnonymousRateThrottle",
        "apikeys.throttling.ApiKeyRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("API_ANON_RATE", "120/minute")},
    "DEFAULT_SCHEMA_CLASS": "terms.api.schema.GlossaryAutoSchema",
    "EXCEPTION_HANDLER": "terms.api.exceptions.api_exception_handler",
    # 0: the client is REMOTE_ADDR. Unset (None) would trust any X-Forwarded-For header,
    # letting a client pick a new identity per request and escape the rate limit.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Glossary API",
    "DESCRIPTION": (
        "Read the published AI glossary: terms with everything a term page needs, categories, "
        "the A–Z index and typo-tolerant search. Reads are public; anonymous clients see "
        "published content only; the advisory team's operations need its session or an API "
        "key. API keys (made in the admin, sent as Authorization: Bearer gk_…) carry scopes: "
        "content:read-unpublished (drafts and working copies), content:write (terms and "
        "categories written as glossary/1 records, checked by the import's own code) and "
        "inquiries:read; responses to keyed requests are private and never cached. Errors are "
        'JSON, {"detail": "…"} or each parameter or field at fault with its messages: 400 '
        "names what is wrong, 401 an unknown, expired or revoked key (or none where one is "
        "needed), 403 a key without the scope, 404 means not found (or not published), 405 a "
        "method the address does not have (see Allow), 406 an Accept without JSON, 409 a "
        "conflict with what is stored, 412 a write based on a stale version (If-Match), 413 a "
        "body too large, 415 a body that is not JSON, 429 slow down and 503 try again (see "
        "Retry-After). Responses carry ETag and Last-Modified; send If-None-Match to get 304."
        "\n\n## Writing content\n\n"
        "With a content:write key: POST /api/v1/terms/ creates an entry, PUT replaces it whole "
        "(with its key considerations, FAQs, references and related terms), PATCH replaces the "
        "fields sent, DELETE removes it; the same for /api/v1/categories/. GET …/<slug>/record/ "
        "gives the entry as a glossary/1 record with its ETag: send it back as If-Match to "
        "make a write conditional (412 if someone wrote first). POST /api/v1/glossary/ imports "
        "a whole glossary/1 document, all or nothing (?dry_run=true checks it only)."
        "\n\n## Caching, CDNs and Varnish\n\n"
        "A public answer (an anonymous GET that answered 200) carries Cache-Control: public, "
        "max-age=60 (pages: max-age=0), s-maxage=86400, stale-while-revalidate=60, "
        "stale-if-error=86400, and names what it shows in Cache-Tag (comma-separated, "
        "Cloudflare) and Surrogate-Key (space-separated, Fastly and Varnish xkey): term-<id>, "
        "category-<id>, terms-list, letters, categories-list, search, site, and glossary on "
        "everything. Keyed, logged-in and error answers are private or no-store, with no tags. "
        "Each content change purges the tags it makes stale, through the backends named in "
        "CDN_PURGE_BACKENDS (varnish:, cloudflare:, fastly:), by the worker, with retries and "
        "a purge of everything as the last resort; `manage.py varnish_vcl` writes a VCL for "
        "Varnish with vmod xkey. A publish shows through Varnish within a second."
    ),
    "VERSION": "1.0.0",
    # What the site POSTs to endpoints registered in the admin. The schema stays OpenAPI
    # 3.0 (3.1 changes how nullable fields read, which generated clients rely on), so a
    # hook moves them to "x-webhooks" and describes them (webhooks.schema).
    "WEBHOOKS": [
        f"webhooks.schema.{name}"
        for name in (
            "term_published",
            "term_updated",
            "term_unpublished",
            "category_changed",
            "glossary_imported",
            "inquiry_created",
            "webhook_test",
        )
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # The answers every operation can give (406, 414, 429, 503) and the error bodies.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "terms.api.schema.document_common_answers",
        "webhooks.schema.document_webhooks",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Two models' statuses: each its own, named, enum.
    "ENUM_NAME_OVERRIDES": {
        "TermStatusEnum": "terms.models.Term.Status",
        "InquiryStatusEnum": "advisory.models.Inquiry.Status",
    },
    # The docs' JavaScript and CSS come from this server, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS", "POST"]
# Front ends may send an inquiry with an Idempotency-Key and read whether it was replayed.
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Idempotent-Replayed", "Retry-After"]

# Admin logins (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for one
# account, or from one address, that account or address is locked out for
# ADMIN_LOGIN_COOLOFF_MINUTES (README "Security"). Superusers unlock in the admin
# ("Access attempts") or with manage.py axes_reset, axes_reset_username, axes_reset_ip.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
# Tries during a lock-out do not prolong it: "try again in 15 minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# Failed attempts are kept for the cool-off only; successful logins are not recorded.
AXES_DISABLE_ACCESS_LOG = True
AXES_CLIENT_IP_CALLABLE = "advisory.views.client_address"
AXES_CLIENT_STR_CALLABLE = "glossary_project.logins.client_description"
AXES_LOCKOUT_CALLABLE = "glossary_project.logins.locked_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Public site address, used where a link must be absolute (mail, exports).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Email: files in sent-mail/ in development (not the console, which is the server's log
# and must never show visitors' addresses or messages), SMTP (configured below) in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "sent-mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "glossary@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# How long a preview link to an unpublished term works (README "Editor preview").
PREVIEW_LINK_MAX_AGE = env_int("PREVIEW_LINK_MAX_AGE", 7 * 24 * 3600)

# Category slugs whose references may age: the term form warns of a reference older than
# five years in every other category (terms/writing_checks.py, README "Editing content").
SLOW_MOVING_CATEGORIES = env_list("SLOW_MOVING_CATEGORIES")

# What readers searched for (terms/search/counting.py, README "What readers searched
# for"): each process writes its counts this often (0: only when asked, as in the tests),
# keeps at most this many distinct queries in between, and purge_search_counts deletes
# days older than the retention.
SEARCH_COUNT_FLUSH_SECONDS = env_float("SEARCH_COUNT_FLUSH_SECONDS", 10)
SEARCH_COUNT_BUFFER_SIZE = env_int("SEARCH_COUNT_BUFFER_SIZE", 2000)
SEARCH_COUNT_RETENTION_DAYS = env_int("SEARCH_COUNT_RETENTION_DAYS", 180)

# Background tasks (inquiry notifications) are rows in the database, written in the same
# transaction as what they are about; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Each worker beats a heartbeat this often; a task left running by a worker silent for
# WORKER_DEAD_AFTER_SECONDS (or restarted since) is run again (README "When things fail").
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 5)
WORKER_DEAD_AFTER_SECONDS = env_float("WORKER_DEAD_AFTER_SECONDS", 30)
# Checks every live worker runs at start and each heartbeat: functions of no arguments.
WORKER_SWEEPS = [
    "advisory.services.notifications_sweep",
    "terms.schedules.schedules_apply_due",
    "terms.changes.changes_sweep",
    "glossary_project.cdn.services.purges_sweep",
    "apikeys.services.api_key_uses_sweep",
    "webhooks.services.deliveries_sweep",
    "webhooks.services.events_purge",
]
# The change feed (terms/changes.py): a content change not announced after its commit
# (the process died, the database failed just then) is announced by the worker's sweep
# once it is this old; given up after CONTENT_CHANGE_GIVE_UP_HOURS; records kept a week.
CONTENT_CHANGE_SWEEP_SECONDS = env_float("CONTENT_CHANGE_SWEEP_SECONDS", 10)
CONTENT_CHANGE_GIVE_UP_HOURS = env_float("CONTENT_CHANGE_GIVE_UP_HOURS", 24)
CONTENT_CHANGE_KEEP_DAYS = env_int("CONTENT_CHANGE_KEEP_DAYS", 7)

# What each request made with an API key is kept for (README "API keys"); older uses are
# deleted by the worker's sweep (hourly) or manage.py purge_api_key_uses.
API_KEY_USE_RETENTION_DAYS = env_int("API_KEY_USE_RETENTION_DAYS", 90)
# Requests a minute (or /second, /hour, /day) each key may make, wherever it comes from;
# keyed requests do not count against the anonymous rate (apikeys.throttling).
API_KEY_RATE = os.environ.get("API_KEY_RATE", "600/minute")
# Webhooks (README "Webhooks"): each request may take this many seconds in all
# (connect, send, the answer); a failed delivery is retried after these delays (the last one
# repeating) for WEBHOOKS_RETRY_FOR seconds; an endpoint failing for WEBHOOKS_DISABLE_AFTER
# seconds with nothing delivered is disabled. Private and loopback addresses are refused
# unless allowed (development, the tests).
WEBHOOKS_TIMEOUT = env_float("WEBHOOKS_TIMEOUT", 10)
try:
    WEBHOOKS_RETRY_SCHEDULE = [
        float(delay) for delay in env_list("WEBHOOKS_RETRY_SCHEDULE", "10,60,300,1800,7200,21600")
    ]
except ValueError:
    WEBHOOKS_RETRY_SCHEDULE = []
if not WEBHOOKS_RETRY_SCHEDULE or min(WEBHOOKS_RETRY_SCHEDULE) < 0:
    raise ImproperlyConfigured(
        "WEBHOOKS_RETRY_SCHEDULE must be comma-separated seconds, e.g. 10,60,300."
    )
WEBHOOKS_RETRY_FOR = env_float("WEBHOOKS_RETRY_FOR", 24 * 3600)
WEBHOOKS_DISABLE_AFTER = env_float("WEBHOOKS_DISABLE_AFTER", 24 * 3600)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False)
# Events (and their delivery records) are deleted this many days after they happened,
# once no delivery is waiting: inquiry.created carries personal data.
WEBHOOKS_KEEP_DAYS = env_int("WEBHOOKS_KEEP_DAYS", 30)

# Advisory inquiries (README "Advisory inquiries").
ADVISORY_NOTIFY_EMAILS = env_list("ADVISORY_NOTIFY_EMAILS")
ADVISORY_RATE = os.environ.get("ADVISORY_RATE", "5/hour")
ADVISORY_MIN_SECONDS = env_int("ADVISORY_MIN_SECONDS", 3)
ADVISORY_FORM_MAX_AGE = env_int("ADVISORY_FORM_MAX_AGE", 2 * 24 * 3600)
ADVISORY_MAX_LINKS = env_int("ADVISORY_MAX_LINKS", 2)
# The largest inquiry a person can send (every field full, in four-byte characters, which
# are twelve once percent-encoded or escaped in JSON) is about 70 KB.
ADVISORY_MAX_BODY_BYTES = env_int("ADVISORY_MAX_BODY_BYTES", 128 * 1024)
# The largest glossary/1 document POST /api/v1/glossary/ takes (413 past it).
API_GLOSSARY_MAX_BYTES = env_int("API_GLOSSARY_MAX_BYTES", 32 * 1024 * 1024)
# An email in "sending" for less than this is in flight on some worker and is left alone;
# past it that worker is presumed dead and the email is sent again (same Message-ID). It
# must exceed a whole SMTP conversation at EMAIL_TIMEOUT (advisory.checks warns).
ADVISORY_NOTIFY_LEASE_SECONDS = env_int("ADVISORY_NOTIFY_LEASE_SECONDS", 60)
# Temporary mail failures are retried for this long, then the email is marked failed.
ADVISORY_NOTIFY_GIVE_UP_AFTER = env_int("ADVISORY_NOTIFY_GIVE_UP_AFTER", 3 * 24 * 3600)
# Inquiries whose team email has not gone out after this many minutes are flagged (the
# inbox, the admin index, /health/ready).
ADVISORY_NOTIFY_ALERT_MINUTES = env_int("ADVISORY_NOTIFY_ALERT_MINUTES", 15)

# HTTPS hardening: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO so Django sees the original scheme.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
# Load balancers and orchestrators probe /health/ by plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/(live|ready)/?$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Everything a page uses comes from this server: no inline script or style, no CDN, no
# frames (README "Security"). JSON-LD blocks are data, not script, and need no exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Nothing here uses the camera, the microphone, the location or the like.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    ]
}

# Logs (README "Logs"): one JSON object per line unless DEBUG, a readable line with it;
# both name the request. Applied by django.setup(), so by manage.py and by wsgi.py in each
# gunicorn worker.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "glossary_project.logs.JsonFormatter"},
        "text": {"()": "glossary_project.logs.TextFormatter"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # The line per request (glossary_project.logs.RequestLogMiddleware): LOG_REQUESTS
        # alone decides it, whatever LOG_LEVEL says.
        "glossary.request": {"level": "INFO" if env_bool("LOG_REQUESTS", True) else "WARNING"},
        # To the root handler only: Django's own console handler would print each of its
        # development messages a second time, without the request id.
        "django": {"handlers": [], "level": "INFO"},
        # Admin login failures and lock-outs (warnings, clients as keyed hashes: see
        # glossary_project/logins.py), not its start-up banner and every successful login.
        "axes": {"level": "WARNING"},
        # runserver's access line, exactly as Django's DEFAULT_LOGGING has it (configuring
        # "django" resets its children, so it is restated here).
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Varnish 7 in front of the glossary (README "Putting Varnish or a CDN in front").
# Render it with `python manage.py varnish_vcl --backend HOST:PORT --purge-from ADDRESS`,
# which fills in the placeholder values; needs vmod xkey (Debian: varnish-modules).
#
# - Only GET and HEAD without credentials (an Authorization header, the session cookie)
#   are answered from the cache; other cookies are dropped on the public paths.
# - Only responses the site tagged (Surrogate-Key) are kept: for s-maxage, and then
#   served stale while fetched again (stale-while-revalidate) or while the site fails
#   (stale-if-error). Errors, personal answers and untagged responses are never kept.
# - `PURGE /` with `xkey-purge: tag1 tag2` from an address in the purgers ACL removes
#   every response carrying any of the tags (glossary_project/cdn/backends.py sends it).
vcl 4.1;

import std;
import xkey;

backend glossary {
    .host = "@@BACKEND_HOST@@";
    .port = "@@BACKEND_PORT@@";
    .connect_timeout = 2s;
    .first_byte_timeout = 60s;
    .probe = {
        .url = "/health/live";
        .interval = 2s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

acl purgers {
@@PURGE_FROM@@
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (!(client.ip ~ purgers)) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "The xkey-purge header is missing"));
        }
        return (synth(200, "Purged " + xkey.purge(req.http.xkey-purge)));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.http.Cookie ~ "(^|;)\s*@@SESSION_COOKIE@@=") {
        return (pass);
    }
    if (req.url ~ "^/(api/v1/|glossary/|sitemap\.xml|robots\.txt|static/)") {
        unset req.http.Cookie;
    } else if (req.http.Cookie) {
        return (pass);
    }
    # While the site answers, a stale copy is served (and refreshed) only within
    # stale-while-revalidate; while it fails, for as long as stale-if-error allows.
    if (std.healthy(req.backend_hint)) {
        set req.grace = @@STALE_WHILE_REVALIDATE@@s;
    }
    return (hash);
}

sub vcl_backend_response {
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);  # keep serving the stale copy
    }
    if (!beresp.http.Surrogate-Key || beresp.http.Set-Cookie || beresp.status != 200) {
        # Only what the site tagged as public is for this cache.
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"),
            beresp.grace);
    }
    return (deliver);
}

sub vcl_deliver {
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The copy is current (purged on change): browsers count their max-age from now,
    # not from when this cache fetched it.
    set resp.http.X-Cache-Age = resp.http.Age;
    set resp.http.Age = "0";
}

"""Caches in front of the site: a CDN or Varnish.

Public responses carry cache tags (``tags``) and a Cache-Control that lets shared caches
keep them long while browsers keep them briefly (``middleware``); each content change
purges the tags it affects (``purge``: which tags; ``services``: the purge rows and
their retries; ``backends``: Varnish, Cloudflare, Fastly; ``tasks``: the worker's part).
``varnish.vcl`` is the Varnish configuration the site is tested behind.
"""

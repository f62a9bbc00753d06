"""The HTTP layer's shared cache: content generation, response cache, anonymous throttle
and the WSGI fast path, with the failure handling for all of them in one place.

The shared cache (Redis) is an accelerator, never a dependency: every use of it has a short
timeout and a fallback, and the database holds the one durable record of which content
generation is current.
"""

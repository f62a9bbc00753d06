"""The background worker (``manage.py db_worker``, django-tasks-db's worker) made safe to
kill: each worker process beats a heartbeat, and the live ones put back to READY any task
left RUNNING by a worker that died, so another picks it up. django-tasks-db has no such
recovery of its own. Tasks must therefore be safe to run twice (at least once).
"""

"""gunicorn's settings for this site; gunicorn reads this file from the folder it starts in.

Its access log stays off (gunicorn's default): the site writes its own line per request
(README "Logs"). If an operator turns it on (--access-logfile), its lines still hold no
personal data: the path without its query string (an inbox search can be an email
address), and no client address, user agent or Referer (which can hold such a search too).
"""

access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

"""Count the SQL queries run while handling a request (enabled by BENCH_QUERY_COUNT=1)."""

from django.db import connection


class QueryCountMiddleware:
    """Set ``X-Query-Count`` to the number of SQL statements the request ran.

    Placed first in MIDDLEWARE, so it sees the queries of every other middleware too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response

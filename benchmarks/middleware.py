"""Benchmarks only (BENCHMARK=True): the SQL query count of each request, in a header."""

from django.db import connection


class QueryCountMiddleware:
    """Report the SQL queries of each request in X-DB-Queries."""

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
        response["X-DB-Queries"] = str(count)
        return response

"""Page-number pagination inside the envelope, with the page data in `pagination`."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class CappedCountPaginator(Paginator):
    """Count at most PAGINATION_COUNT_LIMIT rows, so a page costs the same at a million rows.

    An exact COUNT(*) reads every matching row; past the limit the count stops there
    (`count_is_exact` is then false) and only the first pages are reachable: narrow
    the list with filters instead of paging through millions.
    """

    def __init__(self, *args, count_limit: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = count_limit or settings.PAGINATION_COUNT_LIMIT

    @cached_property
    def counted(self) -> int:
        if isinstance(self.object_list, list):
            return len(self.object_list)
        # No ORDER BY: counting the first rows of an index needs no sort.
        return self.object_list.order_by()[: self.limit + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.limit)

    @property
    def count_is_exact(self) -> bool:
        return self.counted <= self.limit


def page_of(queryset: QuerySet, ids: list) -> list:
    """Load the rows of one page, in the page's order, with the queryset's joins and prefetches.

    Paging over bare ids first (a "deferred join") lets the database walk an index for
    ORDER BY ... LIMIT; joining customers, types and assignees for every candidate row
    would make it sort the whole joined set instead.
    """
    # A fresh query by primary key: the list's filters (a search subquery, say) already chose
    # these ids and need not run again; keep only the joins and prefetches.
    page = queryset.model._default_manager.filter(pk__in=ids).order_by()
    page.query.select_related = queryset.query.select_related
    page._prefetch_related_lookups = queryset._prefetch_related_lookups
    rows = {row.pk: row for row in page}
    return [rows[pk] for pk in ids if pk in rows]


class EnvelopePagination(PageNumberPagination):
    """Return ``{"message", "data": [...], "pagination": {...}}``; 20 per page, at most 100."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """`page_size` must be a whole number of at least 1 (400 otherwise); above 100 gives 100."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise ValidationError(
                {self.page_size_query_param: ["Use a whole number of at least 1 (at most 100 are sent)."]}
            )
        return min(int(value), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": 'A page number (1, 2, ...) or "last"; past the last page: 404.',
                "schema": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}, at most {self.max_page_size} sent).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def django_paginator_class(self, object_list, per_page):
        # A search's matches are counted only so far: counting every match of a common word
        # would read them all.
        searching = bool(self.request.query_params.get("search"))
        limit = settings.SEARCH_COUNT_LIMIT if searching else settings.PAGINATION_COUNT_LIMIT
        return CappedCountPaginator(object_list, per_page, count_limit=limit)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.view = view
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, request, view)
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
        return None if ids is None else page_of(queryset, list(ids))

    def get_paginated_response(self, data):
        return Response(
            {
                "message": getattr(self.view, "list_message", "Results retrieved successfully"),
                "data": data,
                "pagination": {
                    "count": self.page.paginator.count,
                    "count_is_exact": self.page.paginator.count_is_exact,
                    "page": self.page.number,
                    "page_size": self.get_page_size(self.request),
                    "total_pages": self.page.paginator.num_pages,
                    "next": self.get_next_link(),
                    "previous": self.get_previous_link(),
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        nullable_uri = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["message", "data", "pagination"],
            "properties": {
                "message": {"type": "string"},
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["count", "count_is_exact", "page", "page_size", "total_pages", "next", "previous"],
                    "properties": {
                        "count": {"type": "integer"},
                        "count_is_exact": {
                            "type": "boolean",
                            "description": "False when more rows match than are counted (PAGINATION_COUNT_LIMIT).",
                        },
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "next": nullable_uri,
                        "previous": nullable_uri,
                    },
                },
            },
        }

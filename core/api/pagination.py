"""Page-number pagination inside the envelope, with the page data in `pagination`."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
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
        # Set by the caller when the page it read already shows where the list ends: no COUNT then.
        self.known_count: int | None = None
        # Count at most this many rows (at least up to the page; see EnvelopePagination).
        self.count_window = self.limit

    @property
    def cap(self) -> int:
        return min(self.limit, self.count_window)

    @cached_property
    def counted(self) -> int:
        """Rows counted, up to one past the cap (which says there are more)."""
        if self.known_count is not None:
            return self.known_count
        if isinstance(self.object_list, list):
            return len(self.object_list)
        # No ORDER BY: counting the first rows of an index needs no sort.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    @property
    def count_is_exact(self) -> bool:
        return self.counted <= self.cap


def page_of(queryset: QuerySet, ids: list) -> list:
    """Load the rows of one page, in the page's order, with the queryset's joins and prefetches.

    Paging over bare ids first (a "deferred join") lets the database walk an index for
    ORDER BY ... LIMIT; joining customers, types and assignees for every candidate row
    would make it sort the whole joined set instead. Even the customer's list, with one join
    (the type), is not safe read in one query: when one customer holds a third of the table,
    MariaDB drives the join from the type table and sorts (44 ms against 1 ms, measured).
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
        number = request.query_params.get(self.page_query_param) or 1
        if not isinstance(queryset, QuerySet) or number in self.last_page_strings:
            if isinstance(queryset, QuerySet):  # "last" needs the count first
                ids = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
                return None if ids is None else page_of(queryset, list(ids))
            return super().paginate_queryset(queryset, request, view)
        return self._paginate_ahead(queryset, request, number)

    def _paginate_ahead(self, queryset, request, number):
        """Read one id past the page: it says whether a next page exists, so a short list needs no COUNT.

        A COUNT runs only when there is a next page, and counts at most PAGINATION_COUNT_AHEAD rows
        past this page's start (and never past the count limit): a 20-row page of a 10,000-row
        list counts about 1,000 index entries, not 10,001. Beyond that window `count` is a lower
        bound and `count_is_exact` is false, as past the limit.
        """
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset.values_list("pk", flat=True), page_size)
        try:  # as Paginator.validate_number, without its COUNT
            number = int(number)
            problem = _("That page number is less than 1") if number < 1 else None
        except (TypeError, ValueError):
            problem = _("That page number is not an integer")
        if problem:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=problem))
        offset = (number - 1) * page_size
        # Past the count limit (only the first pages are reachable), or past the end of the list.
        past_the_end = NotFound(
            self.invalid_page_message.format(page_number=number, message=_("That page contains no results"))
        )
        if offset and offset >= paginator.limit:
            raise past_the_end
        ids = list(paginator.object_list[offset : offset + page_size + 1])
        if number > 1 and not ids:
            raise past_the_end
        if len(ids) <= page_size:
            paginator.known_count = offset + len(ids)
        else:
            paginator.count_window = max(offset + page_size + 1, offset + settings.PAGINATION_COUNT_AHEAD)
        self.page = Page(ids[:page_size], number, paginator)
        if self.page.paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return page_of(queryset, self.page.object_list)

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
                            "description": "False when more rows match than are counted: `count` (and "
                            "`total_pages`) are then lower bounds. A list counts at most PAGINATION_COUNT_AHEAD "
                            "rows past the page's start, and never more than PAGINATION_COUNT_LIMIT.",
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

"""Word-prefix search over service requests, backed by an index on every database.

`icontains` would scan every row (a million per keystroke at utility scale). Instead
each request keeps its words in `RequestSearchTerm`: ASCII letters and digits, lower-cased,
accents dropped, from its reference, details, address, postcode, contact name and email, and
its customer's name, email, username and customer id. A query word matches the terms it
prefixes, as an index range scan:
``term >= "lea" AND term < "leb"``. Every query word must match. Terms hold only [a-z0-9],
where every database's collation sorts like ASCII, so the range is right on SQLite,
MySQL/MariaDB and PostgreSQL alike.
"""

import operator
import re
import unicodedata
from functools import reduce

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from .models import RequestSearchTerm, ServiceRequest

TERM_MAX_LENGTH = 32
TERM_MIN_LENGTH = 2
MAX_QUERY_WORDS = 5
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[a-z0-9]+")


def words_of(text: str) -> list[str]:
    """Split `text` into lower-case ASCII words: 'José O'Brien <jo@x.io>' -> jose, brien, jo, io."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return [word[:TERM_MAX_LENGTH] for word in _WORD.findall(ascii_text) if len(word) >= TERM_MIN_LENGTH]


def _request_terms(service_request: ServiceRequest) -> set[str]:
    fields = [service_request.reference, service_request.details, service_request.address, service_request.postcode]
    fields += [service_request.contact_name, service_request.contact_email]
    customer = service_request.customer
    if customer is not None:
        fields += [customer.name, customer.email, customer.username, customer.customer_id]
    return set(words_of(" ".join(fields)))


def index_requests(requests, *, new: bool = False) -> None:
    """(Re)build the search terms of the given requests (their customers must be loaded).

    Call inside the transaction that changed them; `new` skips removing old terms.
    """
    requests = list(requests)
    if not new:
        RequestSearchTerm.objects.filter(service_request__in=requests).delete()
    RequestSearchTerm.objects.bulk_create(
        [
            RequestSearchTerm(service_request=request, term=term)
            for request in requests
            for term in _request_terms(request)
        ]
    )


@transaction.atomic
def index_customer_requests(customer) -> None:
    """Re-index a customer's requests after their contact details changed."""
    index_requests(ServiceRequest.objects.filter(customer=customer).select_related("customer"))


def _successor(word: str) -> str | None:
    """The smallest [a-z0-9] string after every string starting with `word` (None: no bound)."""
    stripped = word.rstrip(_ALPHABET[-1])
    if not stripped:
        return None
    return stripped[:-1] + _ALPHABET[_ALPHABET.index(stripped[-1]) + 1]


def _terms_starting_with(word: str) -> QuerySet:
    terms = RequestSearchTerm.objects.filter(term__gte=word)
    upper = _successor(word)
    return terms if upper is None else terms.filter(term__lt=upper)


def _distinct_words(words: list[str]) -> list[str]:
    """Drop repeated words and words that begin another one: "boil boiler" needs only "boiler"."""
    unique = list(dict.fromkeys(words))
    return [word for word in unique if not any(other != word and other.startswith(word) for other in unique)]


def _requests_with_all(words: list[str]) -> QuerySet:
    """Ids of the requests with a term for every word, from one pass over their terms.

    GROUP BY request HAVING "every word matched": it reads the words' index entries
    once, instead of materialising each word's requests and joining them.
    """
    ranges = []
    for word in words:
        upper = _successor(word)
        ranges.append(Q(term__gte=word) & (Q(term__lt=upper) if upper else Q()))
    bucket = Case(*[When(match, then=Value(i)) for i, match in enumerate(ranges)], output_field=IntegerField())
    return (
        RequestSearchTerm.objects.filter(reduce(operator.or_, ranges))
        .values("service_request_id")
        .annotate(words_matched=Count(bucket, distinct=True))
        .filter(words_matched=len(words))
        .values("service_request_id")
    )


def search_requests(queryset: QuerySet, query: str) -> QuerySet:
    """Keep the requests that have, for every word of `query`, a term starting with it.

    The plan is chosen from how many terms each word matches (counted on the index, up
    to SEARCH_RARE_WORD_LIMIT), so that it stays cheap at a million requests:

    - rare words become `id IN (their few requests)`: the database starts from them,
      and probes any common word with a correlated EXISTS on the (request, term) key;
    - a lone common word is an EXISTS too, so the database walks the list's ordering
      index and stops at the first page instead of collecting the quarter of a million
      requests that mention, say, "boiler";
    - several common words are intersected in one GROUP BY pass over their terms.
    """
    limit = settings.SEARCH_RARE_WORD_LIMIT
    words = _distinct_words(words_of(query))[:MAX_QUERY_WORDS]
    if not words:
        # Text with no searchable word ("x", a name in another script) matches nothing, not everything.
        return queryset.none() if query.strip() else queryset
    terms = {word: _terms_starting_with(word) for word in words}
    rare = [word for word in words if terms[word].order_by()[: limit + 1].count() <= limit]
    common = [word for word in words if word not in rare]
    if len(common) > 1 and not rare:
        return queryset.filter(pk__in=_requests_with_all(common))
    for word in rare:
        queryset = queryset.filter(pk__in=terms[word].values("service_request_id"))
    for word in common:
        queryset = queryset.filter(Exists(terms[word].filter(service_request=OuterRef("pk"))))
    return queryset

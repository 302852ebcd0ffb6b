"""Staff search over service requests, on the database's own full-text engine.

Each request has one `RequestSearchDocument`: the words of its reference, details, address,
postcode, contact name and email, and its customer's name, email, username and customer id,
ASCII, lower-cased, accents dropped. Every query word must begin a word of the document:
"boil press" finds "Boiler pressure drops". One module, one behaviour, three engines:

- MySQL/MariaDB: a FULLTEXT index, `MATCH ... AGAINST ('+xboil* +xpress*' IN BOOLEAN MODE)`;
- SQLite: an FTS5 table kept in step by triggers, `MATCH 'xboil* AND xpress*'`;
- PostgreSQL: a GIN index on `to_tsvector('simple', body)`, `@@ to_tsquery('xboil:* & xpress:*')`.

Each word is stored with a leading "x" (``xboiler``): InnoDB ignores words shorter than
`innodb_ft_min_token_size` (3, not settable at run time) and its stopwords ("com", "de",
"the"...), and a two-letter word such as "jo" or "io" must still be found; with the marker
every indexed word has at least three letters and none is a stopword, on every engine.

Identifiers are not words: a whole reference (SR-...), customer id (GU-...) or email address
is looked up on its B-tree index instead (`_identifier_filter`).

A full-text engine reads a word's whole list of matches: InnoDB takes 150-350 ms for a word
in an eighth of a million documents ("boiler"), a couple of milliseconds for a rare one. So
only rare words (at most SEARCH_DENSE_MATCHES matches, estimated on SEARCH_SAMPLE documents
spread over the whole table, and cheaper to fetch than walking the list: SEARCH_FULLTEXT_COST)
go to the engine; common words are checked row by row
(`LIKE '% xboil%'` on the document), either on the few requests the rare words found, or,
when every word is common, while walking the list in its own order, which stops at the first
page: the commoner the words, the sooner.
"""

import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Lookup, Max, Min, Q, QuerySet

from .models import RequestSearchDocument, SearchDocumentField, ServiceRequest

TERM_MAX_LENGTH = 32
TERM_MIN_LENGTH = 2
MAX_QUERY_WORDS = 5
MARKER = "x"
_WORD = re.compile(r"[a-z0-9]+")
_REFERENCE = re.compile(r"^(SR|GU)-[A-Z0-9]{4}-[A-Z0-9]{4}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def words_of(text: str) -> list[str]:
    """Split `text` into lower-case ASCII words: 'José O'Brien <jo@x.io>' -> jose, brien, jo, io."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return [word[:TERM_MAX_LENGTH] for word in _WORD.findall(ascii_text) if len(word) >= TERM_MIN_LENGTH]


def document_of(text: str) -> str:
    """The indexed form of `text`: its distinct words, each marked, space-separated and space-ended."""
    words = dict.fromkeys(words_of(text))
    return "".join(f" {MARKER}{word}" for word in words) + " "


def _request_text(service_request: ServiceRequest) -> str:
    fields = [service_request.reference, service_request.details, service_request.address, service_request.postcode]
    fields += [service_request.contact_name, service_request.contact_email]
    customer = service_request.customer
    if customer is not None:
        fields += [customer.name, customer.email, customer.username, customer.customer_id]
    return " ".join(fields)


def index_requests(requests, *, new: bool = False) -> None:
    """(Re)write the search documents of the given requests (their customers must be loaded).

    Call inside the transaction that changed them; `new` skips removing old documents.
    """
    requests = list(requests)
    if not new:
        RequestSearchDocument.objects.filter(service_request__in=requests).delete()
    RequestSearchDocument.objects.bulk_create(
        [
            RequestSearchDocument(service_request=request, body=document_of(_request_text(request)))
            for request in requests
        ]
    )


@transaction.atomic
def index_customer_requests(customer) -> None:
    """Re-index a customer's requests after their contact details changed."""
    index_requests(ServiceRequest.objects.filter(customer=customer).select_related("customer"))


# --- the full-text lookup, one per engine --------------------------------------------------


@SearchDocumentField.register_lookup
class Matches(Lookup):
    """`body__matches=["boil", "press"]`: the document has a word beginning with each of them."""

    lookup_name = "matches"
    prepare_rhs = False

    def process_rhs(self, compiler, connection):
        return "%s", [self.rhs]

    def _words(self) -> list[str]:
        return [MARKER + word for word in self.rhs]

    def as_mysql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"MATCH ({lhs}) AGAINST (%s IN BOOLEAN MODE)", [
            *params,
            " ".join(f"+{word}*" for word in self._words()),
        ]

    def as_sqlite(self, compiler, connection):
        # The FTS5 table shares the documents' rowids (their request ids); see migration 0006.
        lhs, params = self.process_lhs(compiler, connection)
        table = RequestSearchDocument._meta.db_table
        rowid = lhs.rsplit(".", 1)[0] + '."service_request_id"'
        # Names come from our model; the words are a parameter.
        return f'{rowid} IN (SELECT rowid FROM "{table}_fts" WHERE "{table}_fts" MATCH %s)', [  # noqa: S608
            *params,
            " AND ".join(f"{word}*" for word in self._words()),
        ]

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"to_tsvector('simple', {lhs}) @@ to_tsquery('simple', %s)", [
            *params,
            " & ".join(f"{word}:*" for word in self._words()),
        ]

    def as_sql(self, compiler, connection):
        raise NotImplementedError(f"No full-text search for the {connection.vendor} database.")


# --- the query -----------------------------------------------------------------------------


def _distinct_words(words: list[str]) -> list[str]:
    """Drop repeated words and words that begin another one: "boil boiler" needs only "boiler"."""
    unique = list(dict.fromkeys(words))
    return [word for word in unique if not any(other != word and other.startswith(word) for other in unique)]


def _identifier_filter(query: str) -> Q | None:
    """A whole reference, customer id or email address, looked up on its B-tree index."""
    text = query.strip()
    if _REFERENCE.match(text.upper()):
        code = text.upper()
        return Q(reference=code) if code.startswith("SR") else Q(customer__customer_id=code)
    if _EMAIL.match(text):
        from accounts.models import User

        email = text.lower()
        customers = list(User.objects.filter(email=email).values_list("pk", flat=True))
        return Q(contact_email=email) | Q(customer_id__in=customers)
    return None


def _contains_all(words: list[str], *, prefix: str = "search_document__") -> Q:
    """Row by row: the document has a word beginning with each of `words` (no index).

    On requests, a join on the one-to-one document, not a correlated EXISTS: MariaDB runs a
    subquery per row eight times slower. `contains` is LIKE BINARY on MySQL, four times faster
    than a collation's LIKE.
    """
    return Q(*[Q(**{f"{prefix}body__contains": f" {MARKER}{word}"}) for word in words])


def _sample_ranges(oldest: int, newest: int) -> list[tuple[int, int]]:
    """(first, last) id ranges holding SEARCH_SAMPLE ids, in SEARCH_SAMPLE_SLICES ranges spread evenly
    from the oldest document to the newest; the newest range comes last.

    Ranges of the primary key, not ORDER BY ... LIMIT: MariaDB would copy the rows to a temporary
    table. Spread, not only the newest: a burst of alike reports (an incident, a mailing) fills
    the newest thousands and would make their words look ubiquitous and every other word rare,
    sending a word of 100,000 requests to the full-text engine (half a second at a million).
    """
    if newest - oldest < settings.SEARCH_SAMPLE:
        return [(oldest, newest)]
    slices = max(1, min(settings.SEARCH_SAMPLE_SLICES, settings.SEARCH_SAMPLE))
    width = settings.SEARCH_SAMPLE // slices
    if slices == 1:
        return [(newest - width + 1, newest)]
    step = (newest - oldest + 1 - width) / (slices - 1)
    starts = sorted({oldest + int(n * step) for n in range(slices)})
    return [(start, start + width - 1) for start in starts]


def _estimate(words: list[str]) -> tuple[dict[str, float], float]:
    """Estimate, from a sample of SEARCH_SAMPLE documents, how many requests each word matches, and
    how many rows a walk of the list would read to count SEARCH_COUNT_LIMIT matches of all of them.
    Two queries over the primary key, whatever the table's size: asking the full-text engine
    would cost what the search should avoid.
    """
    ends = RequestSearchDocument.objects.order_by().aggregate(oldest=Min("pk"), newest=Max("pk"))
    oldest, newest = ends["oldest"] or 0, ends["newest"] or 0
    ranges = _sample_ranges(oldest, newest)
    recent = Q(pk__gte=ranges[-1][0])
    counts = RequestSearchDocument.objects.filter(
        Q(*[Q(pk__gte=first, pk__lte=last) for first, last in ranges], _connector=Q.OR)
    ).aggregate(
        sampled=Count("pk"),
        recent=Count("pk", filter=recent),
        recent_all_words=Count("pk", filter=recent & _contains_all(words, prefix="")),
        **{f"w{i}": Count("pk", filter=_contains_all([word], prefix="")) for i, word in enumerate(words)},
    )
    sampled = counts["sampled"]
    if not sampled:
        return dict.fromkeys(words, 0.0), 0.0
    # Ids grow with each request, with gaps where documents were rewritten or deleted: the
    # sample's density scales the id range to a count.
    covered = sum(last - first + 1 for first, last in ranges)
    total = max(float(sampled), (newest - oldest + 1) * sampled / covered)
    estimates = {word: counts[f"w{i}"] * total / sampled for i, word in enumerate(words)}
    # The walk reads the list in its order, open and recent requests first: how far it goes to
    # count SEARCH_COUNT_LIMIT matches is judged on the newest range.
    if not counts["recent_all_words"]:
        return estimates, total
    return estimates, min(total, (settings.SEARCH_COUNT_LIMIT + 1) * counts["recent"] / counts["recent_all_words"])


def search_requests(queryset: QuerySet, query: str) -> QuerySet:
    """Keep the requests that have, for every word of `query`, a word starting with it.

    The plan comes from how many requests each word matches (estimated on a sample): rare
    words (at most SEARCH_DENSE_MATCHES, and fewer than a walk of the list would read) go to
    the full-text engine, which returns their few requests at once; the other words are then
    checked on those requests only. With no rare word, the list is walked in its own order
    and each request's document checked, which stops at the first page and at the count's
    limit: the commoner the words, the sooner.
    """
    identifier = _identifier_filter(query)
    if identifier is not None:
        return queryset.filter(identifier)
    words = _distinct_words(words_of(query))[:MAX_QUERY_WORDS]
    if not words:
        # Text with no searchable word ("x", a name in another script) matches nothing, not everything.
        return queryset.none() if query.strip() else queryset
    estimates, walk = _estimate(words)
    # A word goes to the full-text engine if it is rare, and cheaper to look up than walking the list.
    # SEARCH_FULLTEXT_COST: rows of the walk that one match from the engine costs (joined, sorted).
    limit = min(settings.SEARCH_DENSE_MATCHES, walk / max(settings.SEARCH_FULLTEXT_COST, 1e-9))
    rare = [word for word in words if estimates[word] <= limit]
    common = [word for word in words if word not in rare]
    if rare:
        matching = RequestSearchDocument.objects.filter(body__matches=rare)
        queryset = queryset.filter(pk__in=matching.values("service_request_id"))
    if common:
        queryset = queryset.filter(_contains_all(common))
    return queryset

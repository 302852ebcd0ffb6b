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

A full-text engine returns every match before the list can sort them and take a page. When
a search matches many requests (more than SEARCH_DENSE_MATCHES: "boiler" in an eighth of a
million) the list is walked along its own ordering index instead and each request's
document checked (`LIKE '% xboil%'`), which stops at the first page: the denser the matches,
the sooner. The engine's count of the matches, capped, chooses between the two.
"""

import re
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Lookup, OuterRef, Q, QuerySet

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


def _matches_everywhere(words: list[str]) -> Q:
    """Row by row: the request's document contains a word beginning with each of `words`."""
    document = RequestSearchDocument.objects.filter(service_request=OuterRef("pk"))
    for word in words:
        document = document.filter(body__contains=f" {MARKER}{word}")
    return Q(Exists(document))


def search_requests(queryset: QuerySet, query: str) -> QuerySet:
    """Keep the requests that have, for every word of `query`, a word starting with it."""
    identifier = _identifier_filter(query)
    if identifier is not None:
        return queryset.filter(identifier)
    words = _distinct_words(words_of(query))[:MAX_QUERY_WORDS]
    if not words:
        # Text with no searchable word ("x", a name in another script) matches nothing, not everything.
        return queryset.none() if query.strip() else queryset
    matching = RequestSearchDocument.objects.filter(body__matches=words)
    dense = settings.SEARCH_DENSE_MATCHES
    if matching.order_by()[: dense + 1].count() > dense:
        return queryset.filter(_matches_everywhere(words))
    return queryset.filter(pk__in=matching.values("service_request_id"))

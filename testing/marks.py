"""Test marks shared by several modules."""

import pytest

# InnoDB's FULLTEXT index sees only committed rows: a test that searches words must commit its
# data, on every database alike. Transactional tests run against a flushed database, so the
# request-type catalogue (seeded by a migration) is seeded again (root conftest.py).
SEARCH_DB_MARKS = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("request_type_catalogue")]
# For a parametrized case (pytest.param cannot add fixtures): its data fixture must request
# `request_type_catalogue` itself.
COMMITTED_DB = pytest.mark.django_db(transaction=True)


def search_db(test):
    """Decorate a test that searches words: committed data, catalogue seeded (see SEARCH_DB_MARKS)."""
    for mark in SEARCH_DB_MARKS:
        test = mark(test)
    return test

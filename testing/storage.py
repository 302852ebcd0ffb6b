"""Stored files in tests: the default storage (InMemoryStorage in test settings), fresh and listed."""

import pytest
from django.core.files.storage import default_storage


@pytest.fixture
def fresh_storage(settings):
    """An empty default storage for this test (re-setting STORAGES makes Django build a new one)."""
    settings.STORAGES = {**settings.STORAGES}
    return default_storage


def stored_files() -> list[str]:
    """The name of every file in the default storage, in every directory."""
    names, directories = [], [""]
    while directories:
        directory = directories.pop()
        subdirectories, files = default_storage.listdir(directory)
        names += [f"{directory}/{name}".lstrip("/") for name in files]
        directories += [f"{directory}/{name}".lstrip("/") for name in subdirectories]
    return sorted(names)

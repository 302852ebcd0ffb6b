"""A rollback hook, the missing half of Django's `transaction.on_commit`.

Files written to storage during a transaction are not part of it: if the transaction (or
the savepoint they were written in) rolls back, they must be deleted, or they pile up with
no row pointing to them. Django drops a rolled-back transaction's on_commit hooks; this
module hangs a finalizer on the dropped hook, so the rollback itself runs the callback,
whichever code (a service, a view, a caller's own atomic block) rolled it back.
"""

import logging
import weakref

from django.db import transaction

logger = logging.getLogger(__name__)


class _Pending:
    """Kept alive only by the on_commit hook; freed when Django runs or drops the hook."""


def on_rollback(callback, using=None) -> None:
    """Run `callback` if the current transaction or savepoint rolls back; never if it commits.

    Outside a transaction (autocommit) everything is already committed: nothing to do.
    """
    if not transaction.get_connection(using).in_atomic_block:
        return

    def run():
        try:
            callback()
        except Exception:
            logger.exception("A rollback hook failed")

    pending = _Pending()
    finalizer = weakref.finalize(pending, run)
    finalizer.atexit = False  # an interrupted process proves nothing about the transaction
    # On commit the hook runs first and disarms the finalizer; on rollback Django drops the
    # hook, the last reference to `pending` goes, and the finalizer runs the callback.
    transaction.on_commit(lambda pending=pending: finalizer.detach(), using=using)

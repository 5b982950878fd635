"""Group commit: one writer thread stores concurrent submissions in one transaction, then answers each.

Under a burst, every request paying for its own transaction (a pool checkout, ``BEGIN``, ``COMMIT``,
and on SQLite a turn at the process's writer lock) costs about as much as the work inside it, and on
PostgreSQL each statement is a round trip. Here a request thread hands its work to the writer and
waits; the writer takes every piece waiting and writes them with ``write_batch`` (a few statements for
the whole batch), commits once, and only then wakes each request thread, which acknowledges. So the
promise is unchanged: nothing is acknowledged before it is committed.

One writer per process, on purpose: SQLite has one writer at a time anyway, and on PostgreSQL several
writers made smaller batches and cost more CPU per submission.

``write_batch(connection, pieces)`` returns one outcome per piece: a result, or a ``Declined`` for a
piece it wrote nothing for (the others go on). If it raises, the whole batch is rolled back and each
piece is written again in a transaction of its own, so one bad submission never costs the others theirs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_BATCH = 64
P = TypeVar("P")


class Declined(Exception):
    """A piece of work that wrote nothing and wants to be handled another way."""


class _Piece:
    """One request's work; ``done`` is held until the writer has its outcome (a bare lock: the cheapest
    hand-off between two threads, and it is released exactly once)."""

    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.outcome: Any = None
        self.done = threading.Lock()
        self.done.acquire()


class GroupCommit(Generic[P]):
    def __init__(
        self,
        services: Services,
        write_batch: Callable[[Any, list[P]], list[Any]],
        *,
        max_batch: int = MAX_BATCH,
        transaction: Callable[[Callable[[Any], Any]], Any] | None = None,
    ) -> None:
        self.services = services
        self.write_batch = write_batch
        # Runs fn(connection) in one write transaction and commits; by default an SQLAlchemy one.
        self.transaction = transaction or services.connection_transaction
        self.max_batch = max_batch
        self._waiting: list[_Piece] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        # For tests and benchmarks: the transactions committed, and the pieces they wrote (not declined).
        self.transactions = 0
        self.pieces = 0

    def run(self, item: P) -> Any:
        """Write ``item`` with whatever else is waiting; its outcome once committed, or raise
        (``Declined``, or the error of its own transaction)."""
        piece = _Piece(item)
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._thread.start()
            self._waiting.append(piece)
            self._wake.notify()
        piece.done.acquire()  # released by the writer once the outcome is known
        if isinstance(piece.outcome, BaseException):
            raise piece.outcome
        return piece.outcome

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            try:
                self._commit(batch)
            except BaseException as exc:  # never leave a request waiting
                for piece in batch:
                    if piece.outcome is None:
                        piece.outcome = exc
            finally:
                for piece in batch:
                    piece.done.release()

    def _commit(self, batch: list[_Piece]) -> None:
        try:
            outcomes = self.transaction(lambda conn: self.write_batch(conn, [p.item for p in batch]))
        except Exception as exc:
            if len(batch) == 1:
                batch[0].outcome = exc
                return
            log.info("a batch of %d submissions failed (%s); storing each alone", len(batch), exc)
            for piece in batch:  # each in a transaction of its own: only the faulty one fails
                self._commit([piece])
            return
        self.transactions += 1
        self.pieces += sum(1 for outcome in outcomes if not isinstance(outcome, BaseException))
        for piece, outcome in zip(batch, outcomes, strict=True):
            piece.outcome = outcome

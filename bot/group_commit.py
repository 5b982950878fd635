"""Group commit: one writer thread stores concurrent submissions in one transaction, then answers each.

Under a burst, every request paying for its own transaction (a pool checkout, ``BEGIN``, ``COMMIT``,
and on SQLite a turn at the process's writer lock) costs about as much as the work inside it. Here a
request thread hands its work (``fn(connection)``) to the writer and waits; the writer takes every
piece waiting, runs them one after another on one connection, writes the outbox rows they owe in one
statement, commits once, and only then wakes each request thread, which acknowledges. So the promise is
unchanged: nothing is acknowledged before it is committed.

A piece that declines (``Declined``, raised before it writes anything) is told so and the others go
on. Any other failure rolls the whole batch back and the writer does each piece again in a
transaction of its own, so one bad submission never costs the others theirs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from storage import outbox as outbox_store

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_BATCH = 64


class Declined(Exception):
    """A piece of work that wrote nothing and wants to be handled another way."""


Work = Callable[[Connection], tuple[Any, list[outbox_store.Owed]]]


class _Piece:
    __slots__ = ("done", "error", "owed", "result", "work")

    def __init__(self, work: Work) -> None:
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None
        self.owed: list[outbox_store.Owed] = []
        self.done = threading.Event()

    def run(self, conn: Connection) -> None:
        self.result, self.error, self.owed = None, None, []
        try:
            self.result, self.owed = self.work(conn)
        except Declined as declined:
            self.error = declined


class GroupCommit:
    def __init__(self, services: Services, *, max_batch: int = MAX_BATCH) -> None:
        self.services = services
        self.max_batch = max_batch
        self._waiting: list[_Piece] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.batches = 0  # for tests and benchmarks: how many transactions the pieces took
        self.pieces = 0

    def run(self, work: Work) -> Any:
        """``work(connection)`` committed with whatever else is waiting; its result, once committed.

        ``work`` returns (result, outbox rows it owes). Raises what ``work`` raised (``Declined``, or
        the error of its own transaction).
        """
        piece = _Piece(work)
        with self._wake:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._thread.start()
            self._waiting.append(piece)
            self._wake.notify()
        piece.done.wait()
        if piece.error is not None:
            raise piece.error
        return piece.result

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            try:
                self._commit(batch)
            finally:
                for piece in batch:
                    piece.done.set()

    def _commit(self, batch: list[_Piece]) -> None:
        try:
            self.services.connection_transaction(lambda conn: self._run_all(conn, batch))
            self.batches += 1
            self.pieces += len(batch)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                return
            log.info("a batch of %d submissions failed (%s); storing each alone", len(batch), exc)
        for piece in batch:  # each in a transaction of its own: only the faulty one fails
            try:
                self.services.connection_transaction(lambda conn, p=piece: self._run_all(conn, [p]))
                self.batches += 1
                self.pieces += 1
            except Exception as exc:
                piece.error = exc

    @staticmethod
    def _run_all(conn: Connection, batch: list[_Piece]) -> None:
        for piece in batch:
            piece.run(conn)
        outbox_store.insert_owed(
            conn, [item for piece in batch if piece.error is None for item in piece.owed]
        )

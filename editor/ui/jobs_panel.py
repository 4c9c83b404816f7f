"""The jobs panel: one row per background job (export, thumbnails, …) with progress, ETA and Cancel.

Running jobs come first, then recently finished ones (newest first, at most ``MAX_FINISHED``). A finished
job's row can be dismissed (×), "Clear finished" dismisses them all, and completed jobs go by themselves
after ``COMPLETE_KEPT_S`` (errors stay until dismissed: they must be read). Long titles are elided with the
whole title as a tooltip, messages wrap, and Cancel is never pushed out of a narrow panel.
Qt main thread only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from editor.ui import theme

__all__ = ["JobsPanel", "JobRow", "format_eta", "MAX_FINISHED", "COMPLETE_KEPT_S"]

MAX_FINISHED = 20
COMPLETE_KEPT_S = 300.0
FINISHED = ("complete", "error", "cancelled")


class ElidedLabel(QLabel):
    """A one-line label that elides its text to the width it is given (the whole text in the tooltip), so a
    long title never widens the panel. Qt main thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = QFontMetrics(self.font()).elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 40))
        super().setText(shown)


def format_eta(seconds: float) -> str:
    """"about 12 s left", "about 3 min left", "about 1 h 5 min left". Pure."""
    s = max(0, round(seconds))
    if s < 90:
        return f"about {max(1, s)} s left"
    if s < 90 * 60:
        return f"about {round(s / 60)} min left"
    h, m = divmod(round(s / 60), 60)
    return f"about {h} h {m} min left" if m else f"about {h} h left"


class JobRow(QFrame):
    """One job's row. Qt main thread only."""

    def __init__(self, job_id: str, cancel: Callable[[str], None], parent: QWidget | None = None,
                 dismiss: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.status = "running"
        self.finished_at = 0.0
        self.started_at: float | None = None
        self._first: tuple[float, float] | None = None  # (time, progress) of the first report seen
        self.setObjectName("jobRow")
        self.setStyleSheet(f"#jobRow {{ background: {theme.PANEL.name()}; border-radius: 5px; }}")
        self.operation_label = ElidedLabel()
        self.operation_label.setFont(theme.ui_font(9, bold=True))
        self.owner_label = ElidedLabel()
        self.owner_label.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(True)
        self.bar.setFixedHeight(16)
        self.message_label = QLabel()
        self.message_label.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setWordWrap(True)  # an error is read whole, however narrow the panel
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.eta_label = QLabel()
        self.eta_label.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self.status_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(lambda: cancel(self.job_id))
        self.cancel_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.dismiss_button = QToolButton()
        self.dismiss_button.setText("×")
        self.dismiss_button.setToolTip("Dismiss")
        self.dismiss_button.setAutoRaise(True)
        self.dismiss_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.dismiss_button.setVisible(False)
        if dismiss is not None:
            self.dismiss_button.clicked.connect(lambda: dismiss(self.job_id))
        self.status_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        top = QHBoxLayout()
        top.addWidget(self.operation_label, 3)
        top.addWidget(self.owner_label, 1)
        top.addWidget(self.status_label)
        top.addWidget(self.cancel_button)
        top.addWidget(self.dismiss_button)
        mid = QHBoxLayout()
        mid.addWidget(self.bar, 1)
        mid.addWidget(self.eta_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(3)
        lay.addLayout(top)
        lay.addLayout(mid)
        lay.addWidget(self.message_label)

    def update_state(self, operation: str, progress: float, message: str, status: str,
                     started_at: float | None, owner: str, now: float) -> None:
        """Show the latest report."""
        progress = max(0.0, min(100.0, float(progress)))
        was_running = self.status == "running"
        self.status = status
        if started_at is not None:
            self.started_at = started_at
        if self._first is None:
            self._first = (now, progress)
        self.operation_label.setText(operation)
        self.owner_label.setText(f"· {owner}" if owner else "")
        self.owner_label.setVisible(bool(owner))
        self.message_label.setText(message)
        self.message_label.setVisible(bool(message))
        self.bar.setValue(round(progress if status != "complete" else 100))
        running = status not in FINISHED
        self.cancel_button.setVisible(running)
        self.dismiss_button.setVisible(not running)
        if running:
            self.status_label.setText("")
            eta = self.eta(progress, now)
            self.eta_label.setText(format_eta(eta) if eta is not None else "")
        else:
            if was_running or not self.finished_at:
                self.finished_at = now
            self.eta_label.setText("")
            color = {"complete": theme.SUCCESS, "error": theme.ERROR}.get(status, theme.TEXT_DIM)
            self.status_label.setText(status)
            self.status_label.adjustSize()
            self.status_label.setStyleSheet(f"color: {color.name()}; font-weight: bold;")

    def eta(self, progress: float, now: float) -> float | None:
        """Seconds left from the progress rate so far, or None while unknown."""
        if progress <= 0 or progress >= 100:
            return None
        if self.started_at is not None and now > self.started_at:
            t0, p0 = self.started_at, 0.0
        elif self._first is not None:
            t0, p0 = self._first
        else:
            return None
        elapsed, done = now - t0, progress - p0
        if elapsed < 0.5 or done <= 0:
            return None
        return (100.0 - progress) * elapsed / done


class JobsPanel(QWidget):
    """Background jobs with progress, ETA, Cancel and final status. Qt main thread only.

    Signal: ``cancel_requested(job_id)``. ``clock`` (default ``time.time``) is the time source that
    ``started_at`` is measured with.
    """

    cancel_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._rows: dict[str, JobRow] = {}
        self._order: list[str] = []
        self._dismissed: set[str] = set()
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(6, 6, 6, 6)
        self._list_layout.setSpacing(6)
        self._list_layout.addStretch(1)
        self._empty = QLabel("No background jobs")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setStyleSheet(f"color: {theme.TEXT_DIM.name()};")
        self._list_layout.insertWidget(0, self._empty)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows fit the width
        scroll.setWidget(self._list)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.clear_button.clicked.connect(self.clear_finished)
        self.clear_button.setVisible(False)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 6, 0)
        header.addStretch(1)
        header.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(header)
        lay.addWidget(scroll)
        self.setMinimumWidth(180)
        self._expiry = QTimer(self)
        self._expiry.setInterval(10_000)
        self._expiry.timeout.connect(self.expire_completed)
        self._expiry.start()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 240)

    def clear_finished(self) -> None:
        """Dismiss every finished job's row; running jobs stay."""
        for job_id in [j for j, r in self._rows.items() if r.status in FINISHED]:
            self.remove_job(job_id)

    def expire_completed(self, now: float | None = None) -> None:
        """Completed jobs leave by themselves after ``COMPLETE_KEPT_S``; errors and cancellations stay until
        dismissed."""
        now = self._clock() if now is None else now
        for job_id in [j for j, r in self._rows.items()
                       if r.status == "complete" and r.finished_at and now - r.finished_at > COMPLETE_KEPT_S]:
            self.remove_job(job_id)

    def update_job(self, job_id: str, *, operation: str, progress: float, message: str,
                   status: str = "running", started_at: float | None = None, owner: str = "") -> None:
        """Create or update a job's row (idempotent). ``progress`` is 0-100; ``status`` one of running,
        pending, complete, error, cancelled."""
        row = self._rows.get(job_id)
        if row is None:
            if status in FINISHED and job_id in self._dismissed:
                return  # dismissed by the user: a late report of the same end does not bring it back
            row = JobRow(job_id, self.cancel_requested.emit, self._list, dismiss=self.remove_job)
            self._rows[job_id] = row
        before = row.status
        row.update_state(operation, progress, message, status, started_at, owner, self._clock())
        if before != row.status or job_id not in self._order:
            self._arrange()

    def remove_job(self, job_id: str) -> None:
        """Remove a job's row (no-op when unknown)."""
        row = self._rows.pop(job_id, None)
        if row is not None:
            if row.status in FINISHED:
                self._dismissed.add(job_id)
            self._list_layout.removeWidget(row)
            row.deleteLater()
            self._arrange()

    def job_ids(self) -> list[str]:
        """Ids of the rows, in display order (running first, then finished, newest first)."""
        return list(self._order)

    def row(self, job_id: str) -> JobRow | None:
        """The row widget of a job (for tests), or None."""
        return self._rows.get(job_id)

    def _arrange(self) -> None:
        running = [r for r in self._rows.values() if r.status not in FINISHED]
        done = sorted((r for r in self._rows.values() if r.status in FINISHED), key=lambda r: -r.finished_at)
        for old in done[MAX_FINISHED:]:
            del self._rows[old.job_id]
            self._list_layout.removeWidget(old)
            old.deleteLater()
        done = done[:MAX_FINISHED]
        rows = running + done
        self._order = [r.job_id for r in rows]
        for r in rows:
            self._list_layout.removeWidget(r)
        for i, r in enumerate(rows):
            self._list_layout.insertWidget(i, r)
            r.show()
        self._empty.setVisible(not rows)
        self.clear_button.setVisible(bool(done))

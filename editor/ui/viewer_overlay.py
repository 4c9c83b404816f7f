"""A transparent layer over the viewer that follows its size: the base of the subtitle overlay and of the
audio-only waveform view. It takes no mouse or keyboard input. Qt main thread only."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget


class ViewerOverlay(QWidget):
    """Covers ``viewer`` and keeps covering it when it is resized; subclasses paint."""

    def __init__(self, viewer: QWidget) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        viewer.installEventFilter(self)
        self.setGeometry(viewer.rect())
        self.show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self.viewer and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.viewer.rect())
        return False

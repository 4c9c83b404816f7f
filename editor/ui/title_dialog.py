"""Dialogs of the Picture menu: a title's text, font, size, colour and length; a clip's opacity, position
and scale. Each is a plain form (keyboard first: Tab between fields, Enter accepts, Esc cancels) that
returns values; the caller makes the edit. Qt main thread only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from editor.media.titles import font_families
from editor.model.picture import DEFAULT_TITLE_SIZE, Look

__all__ = ["TitleValues", "TitleDialog", "LookDialog"]


@dataclass(frozen=True)
class TitleValues:
    text: str
    font: str
    size: int
    color: str
    seconds: float


class TitleDialog(QDialog):
    """Text (several lines), font family, size (pixels of a 1080-line picture), colour and length."""

    def __init__(self, parent: QWidget | None = None, *, editing: bool = False, text: str = "", font: str = "",
                 size: int = DEFAULT_TITLE_SIZE, color: str = "#ffffff", seconds: float = 3.0) -> None:
        super().__init__(parent)
        self.setObjectName("title_dialog")
        self.setWindowTitle("Edit title" if editing else "Add title")
        form = QFormLayout(self)
        self.text = QPlainTextEdit(text)
        self.text.setObjectName("title_text")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(70)
        form.addRow("&Text", self.text)
        self.font_name = QComboBox()
        self.font_name.setObjectName("title_font")
        self.font_name.setEditable(True)
        self.font_name.addItem("")  # the default sans serif
        self.font_name.addItems(font_families())
        self.font_name.setCurrentText(font)
        form.addRow("&Font", self.font_name)
        self.font_size = QSpinBox()
        self.font_size.setObjectName("title_size")
        self.font_size.setRange(1, 1000)
        self.font_size.setValue(size)
        self.font_size.setSuffix(" px (at 1080 lines)")
        form.addRow("&Size", self.font_size)
        row = QHBoxLayout()
        self.color = QLineEdit(color)
        self.color.setObjectName("title_color")
        self.color.setInputMask("\\#HHHHHH")
        pick = QPushButton("Choose…")
        pick.clicked.connect(self._pick)
        row.addWidget(self.color)
        row.addWidget(pick)
        form.addRow("&Colour", row)
        self.seconds = QDoubleSpinBox()
        self.seconds.setObjectName("title_seconds")
        self.seconds.setRange(0.04, 3600)
        self.seconds.setDecimals(2)
        self.seconds.setValue(seconds)
        self.seconds.setSuffix(" s")
        self.seconds.setEnabled(not editing)
        form.addRow("&Length", self.seconds)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.text.setFocus()

    def _pick(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.color.text()), self, "Title colour")
        if chosen.isValid():
            self.color.setText(chosen.name())

    def values(self) -> TitleValues:
        return TitleValues(self.text.toPlainText(), self.font_name.currentText().strip(), self.font_size.value(),
                           self.color.text().lower(), self.seconds.value())


class LookDialog(QDialog):
    """Opacity, position (centre offset in % of the picture) and scale (%) of a clip or title."""

    def __init__(self, look: Look, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("look_dialog")
        self.setWindowTitle("Opacity, position and scale")
        form = QFormLayout(self)

        def spin(name: str, lo: float, hi: float, value: Fraction, suffix: str) -> QDoubleSpinBox:
            box = QDoubleSpinBox()
            box.setObjectName(name)
            box.setRange(lo, hi)
            box.setDecimals(1)
            box.setValue(float(value * 100))
            box.setSuffix(suffix)
            return box

        self.opacity = spin("look_opacity", 0, 100, look.opacity, " %")
        self.move_x = spin("look_x", -400, 400, look.x, " % of the width")
        self.move_y = spin("look_y", -400, 400, look.y, " % of the height")
        self.scale = spin("look_scale", 1, 1600, look.scale, " %")
        form.addRow("&Opacity", self.opacity)
        form.addRow("Move &right", self.move_x)
        form.addRow("Move &down", self.move_y)
        form.addRow("&Scale", self.scale)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Fraction]:
        def frac(box: QDoubleSpinBox) -> Fraction:
            return Fraction(round(box.value() * 10), 1000)

        return {"opacity": frac(self.opacity), "x": frac(self.move_x), "y": frac(self.move_y),
                "scale": frac(self.scale)}

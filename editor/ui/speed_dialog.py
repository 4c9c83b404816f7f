"""The clip speed dialog: presets (0.25× … 4×), an exact value, and reverse. Qt main thread only."""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

PRESETS: tuple[Fraction, ...] = (Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2), Fraction(4))


def parse_speed(text: str) -> Fraction | None:
    """``"1.5"``, ``"3/2"`` or ``"150%"`` as a speed from 1/100 to 100, else None."""
    t = text.strip().replace(",", ".").rstrip("x×").strip()
    try:
        value = Fraction(t[:-1]) / 100 if t.endswith("%") else Fraction(t)
    except (ValueError, ZeroDivisionError):
        return None
    value = value.limit_denominator(1000)
    return value if Fraction(1, 100) <= value <= 100 else None


class SpeedDialog(QDialog):
    """Ask for a speed and a direction. Qt main thread only."""

    def __init__(self, speed: Fraction, reverse: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clip speed — Cutline")
        self.presets = QComboBox()
        for p in PRESETS:
            self.presets.addItem(f"{float(p):g}×", str(p))  # text: Qt compares it in findData
        self.presets.addItem("Other", None)
        self.exact = QLineEdit(f"{float(speed):g}")
        self.reversed = QCheckBox("Play backwards")
        self.reversed.setChecked(reverse)
        self.error = QLabel("")
        form = QFormLayout(self)
        form.addRow("Preset:", self.presets)
        form.addRow("Speed:", self.exact)
        form.addRow("", self.reversed)
        form.addRow("", self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        i = self.presets.findData(str(speed))
        self.presets.setCurrentIndex(i if i >= 0 else self.presets.count() - 1)
        self.presets.currentIndexChanged.connect(self._preset)

    def _preset(self, _index: int) -> None:
        value = self.presets.currentData()
        if value is not None:
            self.exact.setText(f"{float(Fraction(value)):g}")

    def speed(self) -> Fraction:
        """The speed asked for (valid once accepted)."""
        return parse_speed(self.exact.text()) or Fraction(1)

    def reverse(self) -> bool:
        return self.reversed.isChecked()

    def accept(self) -> None:
        if parse_speed(self.exact.text()) is None:
            self.error.setText("Speed: a number from 0.01 to 100, like 0.5, 3/2 or 150%")
            return
        super().accept()

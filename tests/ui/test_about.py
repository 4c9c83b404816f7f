"""Help ▸ About shows versions and paths, and Copy diagnostics puts them on the clipboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from editor import diagnostics
from editor.ui.about import AboutDialog


def test_about_dialog_copies_versions_and_paths(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = AboutDialog(["PostgreSQL (embedded): ✓"])
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    text = dialog.text.toPlainText()
    assert f"cutline: {diagnostics.version()}" in text and "av: " in text
    assert f"log file: {diagnostics.log_file()}" in text and "PostgreSQL (embedded): ✓" in text
    assert dialog.focusWidget() is dialog.copy_button  # Space copies at once
    qtbot.keyClick(dialog.copy_button, Qt.Key.Key_Space)
    assert QApplication.clipboard().text() == text
    assert dialog.copied.text().startswith("Copied")


def test_help_menu_opens_about(qtbot, store, when_dialog) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from editor.app import build_window

    window = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False))
    qtbot.addWidget(window)
    window.show()
    seen: list[str] = []

    def close_it(box: AboutDialog) -> None:
        seen.append(box.text.toPlainText())
        box.accept()

    try:
        when_dialog(AboutDialog, close_it)
        window.actions_by_name["about"].trigger()
        assert seen and "cutline:" in seen[0]
        assert any(a.text() == "About Cutline" for a in window.menuBar().actions()[-1].menu().actions())
    finally:
        window.shutdown()

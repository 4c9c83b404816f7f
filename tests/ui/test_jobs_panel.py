"""The jobs panel in a narrow window: Cancel stays visible, long titles elide with a tooltip, errors wrap and
are read whole, finished jobs can be dismissed or cleared, completed ones go by themselves."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from editor.ui.jobs_panel import COMPLETE_KEPT_S, JobsPanel

LEFT = Qt.MouseButton.LeftButton
LONG = "Export “" + "a very long project name with ünïcode and 한국어 " * 4 + "” to /home/someone/Videos/out.mp4"


def _inside(widget, panel) -> bool:
    right = widget.mapTo(panel, QPoint(widget.width(), widget.height()))
    left = widget.mapTo(panel, QPoint(0, 0))
    return left.x() >= 0 and right.x() <= panel.width() and widget.isVisible() and widget.width() > 0


def test_narrow_panel_keeps_cancel_visible_and_errors_readable(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.resize(220, 400)
    with qtbot.waitExposed(panel):
        panel.show()
    panel.update_job("exp", operation=LONG, progress=30, message="frame 300 of 1000", owner="edit-suite-2")
    QApplication.processEvents()
    row = panel.row("exp")
    assert row is not None
    assert panel.width() <= 230, "a long title must not widen the panel"
    assert _inside(row.cancel_button, panel), "Cancel is pushed out of the panel"
    assert row.operation_label.toolTip() == LONG and row.operation_label.text() != LONG
    assert row.operation_label.text().endswith("…")
    error = "could not write /media/disk/out.mp4: No space left on device " * 3
    panel.update_job("exp", operation=LONG, progress=31, message=error, status="error")
    QApplication.processEvents()
    assert row.message_label.wordWrap() and row.message_label.text() == error  # whole, wrapped
    assert not row.cancel_button.isVisible() and _inside(row.dismiss_button, panel)


def test_dismiss_clear_and_expiry_of_finished_jobs(qtbot) -> None:  # type: ignore[no-untyped-def]
    now = [5000.0]
    panel = JobsPanel(clock=lambda: now[0])
    qtbot.addWidget(panel)
    panel.resize(300, 400)
    with qtbot.waitExposed(panel):
        panel.show()
    assert not panel.clear_button.isVisible()
    panel.update_job("run", operation="Export", progress=10, message="")
    panel.update_job("ok", operation="Thumbnails", progress=100, message="", status="complete")
    panel.update_job("bad", operation="Proxy", progress=5, message="disk full", status="error")
    assert panel.clear_button.isVisible()
    qtbot.mouseClick(panel.row("ok").dismiss_button, LEFT)  # type: ignore[union-attr]
    assert panel.job_ids() == ["run", "bad"]
    panel.update_job("ok", operation="Thumbnails", progress=100, message="", status="complete")
    assert "ok" not in panel.job_ids(), "a late report of a dismissed job must not bring it back"
    panel.update_job("ok2", operation="Waveform", progress=100, message="", status="complete")
    now[0] += COMPLETE_KEPT_S + 1
    panel.expire_completed()
    assert panel.job_ids() == ["run", "bad"], "completed jobs go by themselves, errors stay"
    qtbot.mouseClick(panel.clear_button, LEFT)
    assert panel.job_ids() == ["run"] and not panel.clear_button.isVisible()


def test_jobs_dock_leaves_a_narrow_window_to_the_viewer_and_ctrl_j_toggles_it(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    import argparse

    from editor.app import build_window
    from editor.ui.main_window import NARROW_WINDOW

    for width in (NARROW_WINDOW - 200, NARROW_WINDOW + 200):
        window = build_window(store, argparse.Namespace(files=[], project=None, smoke_test=False))
        qtbot.addWidget(window)
        window.resize(width, 700)
        with qtbot.waitExposed(window):
            window.show()
        try:
            narrow = width < NARROW_WINDOW
            assert window.jobs_dock.isVisible() is not narrow
            if narrow:
                assert window.viewer.width() > width * 0.5, "the viewer is crowded in a narrow window"
            with qtbot.waitActive(window):
                window.activateWindow()
            qtbot.keyClick(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
            assert window.jobs_dock.isVisible() is narrow
            qtbot.keyClick(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
            assert window.jobs_dock.isVisible() is not narrow
        finally:
            window.shutdown()

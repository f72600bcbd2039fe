"""The banner under the header: the alerts (tui/alerts.py) until the user dismisses them."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

from tui import format as fmt
from tui.alerts import ERROR, WARNING, Alert

COLOURS = {ERROR: "$error", WARNING: "$warning"}
DISMISS = "x dismiss"


class AlertBanner(Static):
    DEFAULT_CSS = """
    AlertBanner {
        height: auto;
        max-height: 3;
        text-wrap: nowrap;
        padding: 0 1;
        background: $error 25%;
        display: none;
    }
    AlertBanner.-calm {
        background: $primary 25%;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alerts: dict[str, Alert] = {}  # by kind, newest last

    def raise_alert(self, alert: Alert) -> None:
        self.alerts.pop(alert.kind, None)
        self.alerts[alert.kind] = alert
        self._show()

    def dismiss(self) -> None:
        self.alerts.clear()
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        """One line per alert, the newest first, cut to the width; the first ends with the key."""
        self.display = bool(self.alerts)
        self.set_class(all(alert.severity not in COLOURS for alert in self.alerts.values()), "-calm")
        width = max(self.content_region.width, len(DISMISS) + 10)
        lines = []
        for index, alert in enumerate(reversed(self.alerts.values())):
            room = width - (len(DISMISS) + 2 if index == 0 else 0)
            line = Content.assemble(
                (f"■ {alert.title}  ", f"bold {COLOURS.get(alert.severity, '$primary')}"), fmt.content(alert.text)
            ).truncate(room, ellipsis=True)
            if index == 0:
                line = Content.assemble(line.truncate(room, pad=True), "  ", (DISMISS, "dim"))
            lines.append(line)
        self.update(Content("\n").join(lines))

"""Feature drift of live traffic against the training reference, exported as a Prometheus gauge.

The reference sample (`reference.csv`, 5,000 training rows) is logged with the training run and
fetched next to the model by `make model`.
"""

import asyncio
import logging
from collections import deque
from pathlib import Path

import pandas as pd
from evidently.metric_preset import DataDriftPreset
from evidently.report import Report
from prometheus_client import Gauge

DRIFT_SHARE = Gauge("churn_feature_drift_share", "Share of input features whose live distribution drifted from training.")
WINDOW_ROWS = Gauge("churn_drift_window_rows", "Rows of live traffic in the drift window.")

log = logging.getLogger(__name__)


class DriftMonitor:
    def __init__(self, reference: pd.DataFrame, window: int = 5000, min_rows: int = 500, interval_s: float = 600):
        self.reference = reference
        self.window: deque[dict] = deque(maxlen=window)
        self.min_rows = min_rows
        self.interval_s = interval_s

    @classmethod
    def from_model_dir(cls, model_dir: str) -> "DriftMonitor":
        return cls(pd.read_csv(Path(model_dir) / "reference.csv"))

    def observe(self, features: pd.DataFrame) -> None:
        self.window.extend(features.to_dict("records"))

    def share_drifted(self) -> float | None:
        current = pd.DataFrame(list(self.window))
        WINDOW_ROWS.set(len(current))
        if len(current) < self.min_rows:
            return None
        report = Report(metrics=[DataDriftPreset()])
        report.run(reference_data=self.reference, current_data=current[self.reference.columns])
        return report.as_dict()["metrics"][0]["result"]["share_of_drifted_columns"]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                share = await asyncio.to_thread(self.share_drifted)
            except Exception:
                log.exception("drift check failed; keeping the last value")
                continue
            if share is not None:
                DRIFT_SHARE.set(share)

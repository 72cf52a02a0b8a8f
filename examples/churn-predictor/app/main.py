"""churn-api: scores each customer's probability of churning in the next 90 days."""

import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager
from logging.handlers import RotatingFileHandler
from typing import Literal

import mlflow.sklearn
import pandas as pd
from fastapi import FastAPI, HTTPException
from prometheus_client import Histogram
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel, Field

from app.drift import DriftMonitor

MODEL_DIR = os.environ.get("MODEL_DIR", "/app/model")
MODEL_VERSION = os.environ.get("MODEL_VERSION", "dev")
PREDICTION_LOG = os.environ.get("PREDICTION_LOG", "/var/log/churn/predictions.jsonl")

SCORE = Histogram(
    "churn_prediction_score", "Predicted churn probability.", buckets=[i / 10 for i in range(1, 10)]
)


class Customer(BaseModel):
    customer_id: str
    tenure_months: int = Field(ge=0)
    monthly_charges: float = Field(ge=0)
    total_charges: float = Field(ge=0)
    contract_type: Literal["month-to-month", "one-year", "two-year"]
    payment_method: Literal["card", "bank-transfer", "direct-debit", "invoice"]
    support_tickets_90d: int = Field(ge=0)
    num_products: int = Field(ge=1)


class PredictRequest(BaseModel):
    customers: list[Customer] = Field(min_length=1, max_length=500)


class Prediction(BaseModel):
    customer_id: str
    churn_probability: float


class PredictResponse(BaseModel):
    model_version: str
    predictions: list[Prediction]


state: dict = {}


def prediction_log() -> logging.Logger:
    """JSON lines shipped to Kafka by the log-shipper sidecar, joined with outcomes for offline evaluation."""
    logger = logging.getLogger("churn_api.predictions")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(RotatingFileHandler(PREDICTION_LOG, maxBytes=50 * 2**20, backupCount=2))
    return logger


@asynccontextmanager
async def lifespan(_: FastAPI):
    state["model"] = mlflow.sklearn.load_model(MODEL_DIR)
    state["drift"] = DriftMonitor.from_model_dir(MODEL_DIR)
    state["log"] = prediction_log()
    drift_task = asyncio.create_task(state["drift"].run())
    yield
    drift_task.cancel()


app = FastAPI(title="churn-api", version="1.8.0", lifespan=lifespan)
Instrumentator(excluded_handlers=["/healthz", "/readyz", "/metrics"]).instrument(
    app, latency_lowr_buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
).expose(app, include_in_schema=False)


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@app.get("/readyz")
def readyz() -> dict:
    if "model" not in state:
        raise HTTPException(status_code=503, detail="model not loaded")
    return {"status": "ready", "model_version": MODEL_VERSION}


@app.post("/predict", response_model=PredictResponse)
def predict(request: PredictRequest) -> PredictResponse:
    frame = pd.DataFrame([customer.model_dump() for customer in request.customers])
    features = frame.drop(columns=["customer_id"])
    probabilities = state["model"].predict_proba(features)[:, 1]
    state["drift"].observe(features)
    predictions = []
    for customer_id, probability in zip(frame["customer_id"], probabilities):
        SCORE.observe(probability)
        record = {"customer_id": customer_id, "churn_probability": round(float(probability), 4), "model_version": MODEL_VERSION}
        state["log"].info(json.dumps(record))
        predictions.append(Prediction(customer_id=customer_id, churn_probability=float(probability)))
    return PredictResponse(model_version=MODEL_VERSION, predictions=predictions)

// churn-api load test: ramps to 100 RPS on /predict, twice the expected peak of 50 RPS (README),
// and holds it for 10 minutes. Run against staging: `make loadtest BASE_URL=...`.
import http from "k6/http";
import { check } from "k6";

const BASE_URL = __ENV.BASE_URL || "http://localhost:8080";
const CONTRACTS = ["month-to-month", "one-year", "two-year"];
const PAYMENTS = ["card", "bank-transfer", "direct-debit", "invoice"];

export const options = {
  scenarios: {
    predict_2x_peak: {
      executor: "ramping-arrival-rate",
      startRate: 10,
      timeUnit: "1s",
      preAllocatedVUs: 50,
      maxVUs: 300,
      stages: [
        { target: 50, duration: "1m" },
        { target: 100, duration: "2m" },
        { target: 100, duration: "10m" },
      ],
    },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    "http_req_duration{endpoint:predict}": ["p(99)<250"],
  },
};

const pick = (values) => values[Math.floor(Math.random() * values.length)];

function customer(index) {
  const tenure = Math.floor(Math.random() * 72);
  const monthly = Math.round((20 + Math.random() * 100) * 100) / 100;
  return {
    customer_id: `loadtest-${__VU}-${__ITER}-${index}`,
    tenure_months: tenure,
    monthly_charges: monthly,
    total_charges: Math.round(tenure * monthly * 100) / 100,
    contract_type: pick(CONTRACTS),
    payment_method: pick(PAYMENTS),
    support_tickets_90d: Math.floor(Math.random() * 4),
    num_products: 1 + Math.floor(Math.random() * 3),
  };
}

export default function () {
  // The CRM sends one customer per call most of the time, sometimes a small page of them.
  const customers = Array.from({ length: Math.random() < 0.8 ? 1 : 10 }, (_, index) => customer(index));
  const response = http.post(`${BASE_URL}/predict`, JSON.stringify({ customers }), {
    headers: { "Content-Type": "application/json" },
    tags: { endpoint: "predict" },
  });
  check(response, {
    "status is 200": (r) => r.status === 200,
    "one prediction per customer": (r) => r.status === 200 && r.json("predictions").length === customers.length,
  });
}

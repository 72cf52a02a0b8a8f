// Kubernetes resource quantities (`500m`, `2Gi`, `1e3`, `0.5`) as plain numbers, so that rules can
// compare a request with its limit. The grammar is apimachinery's resource.Quantity:
//   <signedNumber><suffix>, suffix = binary SI (Ki..Ei) | decimal SI (n u m "" k M G T P E) | e<signedNumber>
// Numbers are doubles: exact enough to compare the quantities people write in manifests.

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|[eE]([+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

/**
 * The value of a Kubernetes quantity, in base units (cores for CPU, bytes for memory); null when it is
 * not a quantity (a template placeholder such as `${CPU}`, an empty value, an object).
 * YAML numbers (`cpu: 1`, `cpu: 0.5`) are accepted as they are.
 */
export function parseQuantity(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const match = QUANTITY.exec(value.trim());
  if (!match) return null;
  const [, digits, binary, exponent, decimal] = match;
  const number = Number(digits);
  if (!Number.isFinite(number)) return null;
  let result: number;
  if (binary) result = number * (BINARY_SUFFIXES[binary] as number);
  else if (exponent !== undefined) result = number * 10 ** Number(exponent);
  else result = number * (DECIMAL_SUFFIXES[decimal ?? ""] as number);
  return Number.isFinite(result) ? result : null;
}

/**
 * Compares two quantities: negative when `a < b`, 0 when equal, positive when `a > b`, null when either
 * is not a quantity. Equality allows for the rounding of doubles (`0.1` and `100m` are equal).
 */
export function compareQuantities(a: unknown, b: unknown): number | null {
  const left = parseQuantity(a);
  const right = parseQuantity(b);
  if (left === null || right === null) return null;
  const tolerance = Math.max(Math.abs(left), Math.abs(right)) * 1e-12;
  if (Math.abs(left - right) <= tolerance) return 0;
  return left < right ? -1 : 1;
}

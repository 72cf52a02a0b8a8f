// Container image references (`[registry[:port]/]path[:tag][@digest]`), as written in a Dockerfile
// `FROM` or a Kubernetes `image:` field, and whether one names a fixed image.
//
// The grammar is the one of github.com/distribution/reference. Parsing is structural and lenient:
// a reference may still hold build-time placeholders (`${TAG}`, `$IMAGE`, Helm's `{{ .Values.tag }}`),
// and those never split a reference in the wrong place.

export interface ImageReference {
  /**
   * Registry host with its port, as written: `gcr.io`, `localhost:5000`, `${REGISTRY}`. Undefined when
   * the reference names none, which means Docker Hub.
   */
  registry?: string;
  /** Path inside the registry, as written: `python`, `kserve/sklearnserver`, `team/${APP}`. */
  repository: string;
  /** Text after the `:` of the last path component; `""` for a reference that ends in `:`. */
  tag?: string;
  /** Text after `@`, e.g. `sha256:<64 hex digits>`. */
  digest?: string;
}

/**
 * How fixed the image a reference names is:
 * - `digest`: a well-formed digest, one immutable image whatever the tag says;
 * - `tag`: an explicit tag other than `latest` (a tag can still be pushed again);
 * - `latest`: the tag `latest`, written or (for `untagged`) implied;
 * - `untagged`: no tag and no digest, so Docker pulls `latest`;
 * - `unknown`: placeholders decide the tag or digest (`python:${TAG}`, `$IMAGE`), so only the build or
 *   deployment that fills them in knows.
 */
export type ImagePinning = "digest" | "tag" | "latest" | "untagged" | "unknown";

export const DOCKER_HUB = "docker.io";
export const LATEST_TAG = "latest";

/** `${NAME}`, `${NAME:-word}`, `$NAME`, `$(NAME)` (Kustomize, Make) and `{{ ... }}` (Helm, Go templates). */
const PLACEHOLDER = /\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*?\}\}/g;
/** digest := algorithm ":" hex, algorithm components joined by `+ . _ -`, at least 32 hex digits. */
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** True when the text holds a build-time or template placeholder (`$VAR`, `${VAR}`, `$(VAR)`, `{{ ... }}`). */
export function hasPlaceholder(text: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(text) || text.includes("{{");
}

/** The text with every placeholder replaced by as many `x`: the same length, and no `:`, `/`, `@` or `.` inside. */
function maskPlaceholders(text: string): string {
  return text.replace(PLACEHOLDER, (placeholder) => "x".repeat(placeholder.length));
}

/** True for a text that is one whole placeholder or several in a row (`${IMAGE}`, `${NAME}${SUFFIX}`). */
function onlyPlaceholders(text: string): boolean {
  return text.length > 0 && text.replace(PLACEHOLDER, "").length === 0;
}

/**
 * Splits an image reference into registry, repository, tag and digest. Returns null for text that cannot
 * be one: empty, with whitespace, or a URL-like builder reference such as `ko://github.com/org/cmd`.
 * The first path component is the registry when it has a `.` or a `:` (a port), is `localhost`, has an
 * upper-case letter (as Docker decides), or holds a placeholder (`${REGISTRY}/app`).
 * So in `localhost:5000/model` the `:5000` is a port, not a tag.
 */
export function parseImageReference(text: string): ImageReference | null {
  const reference = text.trim();
  if (reference === "" || /\s/.test(maskPlaceholders(reference)) || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(reference)) return null;
  const masked = maskPlaceholders(reference);

  let name = reference;
  let maskedName = masked;
  let digest: string | undefined;
  const at = masked.indexOf("@");
  if (at >= 0) {
    digest = reference.slice(at + 1);
    name = reference.slice(0, at);
    maskedName = masked.slice(0, at);
  }

  let tag: string | undefined;
  const colon = maskedName.lastIndexOf(":");
  if (colon > maskedName.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    maskedName = maskedName.slice(0, colon);
  }

  let registry: string | undefined;
  const slash = maskedName.indexOf("/");
  if (slash > 0) {
    const first = name.slice(0, slash);
    const maskedFirst = maskedName.slice(0, slash);
    if (/[.:]/.test(maskedFirst) || maskedFirst === "localhost" || maskedFirst !== maskedFirst.toLowerCase() || hasPlaceholder(first)) {
      registry = first;
      name = name.slice(slash + 1);
    }
  }
  if (name === "") return null;
  return {
    ...(registry !== undefined ? { registry } : {}),
    repository: name,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** True for a well-formed digest such as `sha256:` followed by 64 hex digits. */
export function isDigest(text: string): boolean {
  return DIGEST.test(text);
}

/** How fixed the image is; see ImagePinning. A malformed digest (`@sha256:abc`) does not count. */
export function imagePinning(reference: ImageReference): ImagePinning {
  if (reference.digest !== undefined) {
    if (isDigest(reference.digest)) return "digest";
    if (hasPlaceholder(reference.digest)) return "unknown";
  }
  const { tag } = reference;
  if (tag === undefined || tag === "") {
    // `${IMAGE}` or `model${SUFFIX}` may well carry a tag; `${REGISTRY}/python` cannot.
    const lastComponent = reference.repository.slice(maskPlaceholders(reference.repository).lastIndexOf("/") + 1);
    return tag === undefined && hasPlaceholder(lastComponent) ? "unknown" : "untagged";
  }
  // `3.11-${VARIANT}` is an explicit tag whatever the variant; only a tag made of placeholders alone is unknown.
  if (onlyPlaceholders(tag)) return "unknown";
  return tag === LATEST_TAG ? "latest" : "tag";
}

/**
 * True when the reference names an explicit tag other than `latest`, or a digest. With `requireDigest`,
 * only a digest counts. False for references whose tag placeholders decide (see imagePinning for those).
 */
export function isPinnedImage(reference: ImageReference | string, options: { requireDigest?: boolean } = {}): boolean {
  const parsed = typeof reference === "string" ? parseImageReference(reference) : reference;
  if (!parsed) return false;
  const pinning = imagePinning(parsed);
  return pinning === "digest" || (pinning === "tag" && !options.requireDigest);
}

/** Registry and repository as written, without tag or digest: `localhost:5000/model`, `python`. */
export function imageName(reference: ImageReference): string {
  return reference.registry !== undefined ? `${reference.registry}/${reference.repository}` : reference.repository;
}

/**
 * The fully qualified name Docker resolves, for comparing references: `python` is
 * `docker.io/library/python`, `index.docker.io/org/app` is `docker.io/org/app`.
 */
export function canonicalImageName(reference: ImageReference): string {
  const registry = reference.registry === undefined || reference.registry === "index.docker.io" ? DOCKER_HUB : reference.registry;
  const repository = registry === DOCKER_HUB && !reference.repository.includes("/") ? `library/${reference.repository}` : reference.repository;
  return `${registry}/${repository}`;
}

/** Writes a reference back: `name[:tag][@digest]`. */
export function formatImageReference(reference: ImageReference): string {
  return `${imageName(reference)}${reference.tag !== undefined ? `:${reference.tag}` : ""}${reference.digest !== undefined ? `@${reference.digest}` : ""}`;
}

/**
 * Images of software a team runs but does not build or release itself (datastores, brokers, proxies, monitoring,
 * controllers, an MLflow tracking server). Matched on the image's last path segment, without registry and tag.
 */
const INFRASTRUCTURE_IMAGE = new RegExp(
  "^(?:" +
    [
      "redis(?:-stack(?:-server)?)?", "valkey", "postgres(?:ql)?", "postgis", "pgbouncer", "mysql", "mariadb", "mongo(?:db)?", "memcached",
      "rabbitmq", "kafka", "zookeeper", "cassandra", "elasticsearch", "opensearch", "etcd", "minio", "azurite", "nats(?:-streaming)?", "pulsar",
      "clickhouse(?:-server)?", "influxdb", "neo4j", "qdrant", "weaviate", "milvus", "chroma(?:db)?", "prometheus", "alertmanager",
      "pushgateway", "grafana", "loki", "promtail", "tempo", "jaeger(?:-[a-z-]+)?", "opentelemetry-collector(?:-[a-z]+)?", "otel(?:-[a-z-]+)?",
      "fluentd", "fluent-bit", "vault", "consul", "dex", "envoy", "traefik", "haproxy", "kube-rbac-proxy", "configmap-reload",
      "prometheus-config-reloader", "kube-state-metrics", "node-exporter", "mlflow", "blackbox-exporter", "prometheus-adapter",
      "[a-z0-9-]*operator", "[a-z0-9_-]+[-_](?:controller|controller-manager|exporter|webhook)",
    ].join("|") +
    ")$",
);
/** Registries and organisations that publish platform software (Kubernetes add-ons, Argo, Flux, Knative...), not applications. */
const INFRASTRUCTURE_PUBLISHER =
  /^(?:(?:registry\.k8s\.io|k8s\.gcr\.io|gcr\.io\/google[-_]containers|gcr\.io\/knative-releases|gcr\.io\/stackdriver-agents)\/|(?:[^/]+\/)?(?:argoproj|fluxcd|jetstack|prometheus|prometheus-operator|grafana|bitnami|istio|linkerd|envoyproxy|dexidp)\/)/;
/** Workload names of controllers and agents. */
export const INFRASTRUCTURE_WORKLOAD_NAME = /(?:^|-)(?:operator|controller|controller-manager|webhook|exporter)$/;

/** An image of infrastructure software (see INFRASTRUCTURE_IMAGE), from a container's `image:` text. */
export function isInfrastructureImage(image: string): boolean {
  const withoutDigest = image.split("@")[0] ?? image;
  const baseName = ((withoutDigest.split("/").pop() ?? withoutDigest).split(":")[0] ?? "").toLowerCase();
  return INFRASTRUCTURE_PUBLISHER.test(image.replace(/^docker\.io\//, "")) || INFRASTRUCTURE_IMAGE.test(baseName);
}

import type { SourceLocation } from "../model.js";
import { isRecord, parseYaml, type ObjectPath } from "./yaml.js";

export { isRecord, MAX_ALIAS_COUNT, type ObjectPath } from "./yaml.js";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
  labels: Record<string, string>;
  /** The object as plain data (aliases expanded, capped). */
  value: Record<string, unknown>;
  file: string;
  /** Where the object starts: its first key. */
  location: SourceLocation;
  /** Where the value at `path` (relative to the object) is written; the nearest written ancestor when it is absent. */
  locate(path: ObjectPath): SourceLocation;
  /**
   * Like `locate`, but a map entry whose value is a collection is located at its key (`model:`), not at
   * its first child; a sequence item at its first key, as `locate` does.
   */
  locateKey(path: ObjectPath): SourceLocation;
}

export interface KubernetesFile {
  path: string;
  objects: KubernetesObject[];
  errors: { message: string; location: SourceLocation }[];
  /** Documents not parsed because no rule reads their kind (CustomResourceDefinitions). */
  skippedDocuments: number;
}

/** Kinds that are large and that no rule reads: recognised by a cheap sniff and never parsed. */
const UNREAD_KINDS = new Set(["CustomResourceDefinition"]);
const KIND_SNIFF = /^kind:[ \t]*["']?([A-Za-z0-9]+)/m;

export function parseKubernetes(text: string, path: string): KubernetesFile {
  const yaml = parseYaml(text, (documentText) => UNREAD_KINDS.has(KIND_SNIFF.exec(documentText)?.[1] ?? ""));
  const file: KubernetesFile = { path, objects: [], errors: yaml.errors, skippedDocuments: yaml.skippedDocuments };
  for (const document of yaml.documents) {
    if (!isRecord(document.value)) continue;
    const prefixed = (locate: (path: ObjectPath) => SourceLocation) => (prefix: ObjectPath) => (path: ObjectPath) => locate([...prefix, ...path]);
    collectObjects(document.value, [], prefixed(document.locate), prefixed(document.locateKey), file);
  }
  return file;
}

type LocatorFactory = (prefix: ObjectPath) => (path: ObjectPath) => SourceLocation;

function collectObjects(value: Record<string, unknown>, prefix: ObjectPath, locateIn: LocatorFactory, locateKeyIn: LocatorFactory, file: KubernetesFile): void {
  const apiVersion = value["apiVersion"];
  const kind = value["kind"];
  if (typeof apiVersion !== "string" || typeof kind !== "string") return;
  // `v1/List`, `PodList`...: a list holds `items`. A custom kind that merely ends in "List" and has no
  // `items` array (an `IPAllowList`) is an ordinary object.
  const items = value["items"];
  if (kind === "List" || (kind.endsWith("List") && Array.isArray(items))) {
    if (Array.isArray(items)) {
      items.forEach((item, index) => {
        if (isRecord(item)) collectObjects(item, [...prefix, "items", index], locateIn, locateKeyIn, file);
      });
    }
    return;
  }
  const metadata = isRecord(value["metadata"]) ? value["metadata"] : {};
  const labels: Record<string, string> = {};
  if (isRecord(metadata["labels"])) {
    for (const [key, label] of Object.entries(metadata["labels"])) labels[key] = String(label);
  }
  const locate = locateIn(prefix);
  file.objects.push({
    apiVersion,
    kind,
    ...(typeof metadata["name"] === "string" ? { name: metadata["name"] } : {}),
    ...(typeof metadata["namespace"] === "string" ? { namespace: metadata["namespace"] } : {}),
    labels,
    value,
    file: file.path,
    location: locate([]),
    locate,
    locateKey: locateKeyIn(prefix),
  });
}

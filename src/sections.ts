import type { SectionId } from "./model.js";

export interface Section {
  id: SectionId;
  title: string;
  /** The checklist line, as the text report prints it. */
  checklist: string;
}

/** The production checklist, in order. */
export const SECTIONS: readonly Section[] = [
  { id: "container", title: "Container", checklist: "Docker image with pinned deps and no hardcoded secrets" },
  { id: "registry", title: "Registry", checklist: "Model versioned in a registry with a reproducible training run" },
  { id: "rollout", title: "Rollout", checklist: "Blue-green or canary strategy; resources, probes" },
  { id: "monitoring", title: "Monitoring", checklist: "Infrastructure + model + business monitoring" },
  { id: "rollback", title: "Rollback", checklist: "Rollback playbook documented and tested" },
  { id: "load", title: "Load", checklist: "Load tested at 2x expected peak" },
  { id: "runbook", title: "Runbook", checklist: "Runbook written and linked from the README" },
];

export const SECTION_IDS: readonly SectionId[] = SECTIONS.map((section) => section.id);

import path from "node:path";
import type { DockerfileModel } from "./parsers/dockerfile.js";
import type { ProjectModel } from "./project.js";

const contexts = new WeakMap<DockerfileModel, string>();

/**
 * The project folder that `COPY .` (the whole build context) copies for a Dockerfile: its own folder, as
 * `docker build services/churn` and compose's `build: ./services/churn` use it, unless its other COPY/ADD
 * sources exist only from the project root (`docker build -f services/churn/Dockerfile .`). A Dockerfile at
 * the root copies the root. In a monorepo this keeps each service's `COPY . .` to its own folder instead of
 * every model of the repository.
 */
export function wholeContextOf(project: ProjectModel, dockerfile: DockerfileModel): string {
  const cached = contexts.get(dockerfile);
  if (cached !== undefined) return cached;
  const own = path.posix.dirname(dockerfile.path);
  let context = own;
  if (own !== ".") {
    const exists = (file: string) => project.hasFile(file) || project.hasFolder(file);
    search: for (const instruction of dockerfile.instructions) {
      if ((instruction.keyword !== "COPY" && instruction.keyword !== "ADD") || instruction.flags["from"] !== undefined) continue;
      for (const word of instruction.words.slice(0, -1)) {
        const source = word.text.replace(/^\.\/+/, "").replace(/\/+$/, "");
        if (source === "" || source === "." || source.startsWith("..") || source.startsWith("/") || source.startsWith("<<")) continue;
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /[$*?[]/.test(source)) continue;
        if (exists(source) && !exists(path.posix.join(own, source))) {
          context = ".";
          break search;
        }
      }
    }
  }
  contexts.set(dockerfile, context);
  return context;
}

import { describe, expect, it } from "vitest";
import { parseRequirementText, type Requirement } from "../src/parsers/requirements.js";
import { globToRegExp, isExactPin, requirementName, sourceUrlFinding, writtenAs } from "../src/pinning.js";

const at = { line: 1, column: 1 };
function requirement(text: string): Requirement {
  const parsed = parseRequirementText(text, at);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

describe("isExactPin", () => {
  it.each(["numpy==1.26.4", "torch==2.2.1+cpu", "pkg===1.0-custom", 'numpy==1.26.4 ; python_version < "3.12"', "uvicorn[standard]==0.29.0", "pkg==1!2.0"])("%s is a pin", (text) =>
    expect(isExactPin(requirement(text))).toBe(true),
  );
  it.each(["numpy", "numpy>=1.26", "numpy~=1.26.0", "numpy==1.*", "numpy==latest", "numpy<2,>=1.26", "numpy!=1.26.3"])("%s is not", (text) =>
    expect(isExactPin(requirement(text))).toBe(false),
  );
});

describe("sourceUrlFinding", () => {
  const finding = (text: string, allowVcsTags = false) => {
    const parsed = requirement(text);
    return sourceUrlFinding(parsed, requirementName(parsed), allowVcsTags);
  };

  it("accepts full commits, Subversion revisions, hashes and plain files", () => {
    expect(finding("git+https://github.com/acme/lib.git@0d1f6c1b9e8a7f6e5d4c3b2a1908f7e6d5c4b3a2#egg=lib")).toBeNull();
    expect(finding("svn+https://svn.example.com/repo/trunk@1234#egg=repo")).toBeNull();
    expect(finding("https://github.com/acme/lib/archive/main.zip#sha256=4a3c1b2d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809")).toBeNull();
    expect(finding("https://files.example.com/wheels/lib-1.2.0-py3-none-any.whl")).toBeNull();
    expect(finding("lib @ git+https://github.com/acme/lib.git@${LIB_REF}")).toBeNull();
  });

  it("reports branches, short shas and missing refs", () => {
    expect(finding("git+https://github.com/acme/lib.git@main#egg=lib")).toEqual({
      messageId: "vcsUnpinned",
      data: { name: "lib", url: "git+https://github.com/acme/lib.git", ref: "branch 'main'" },
    });
    expect(finding("git+https://github.com/acme/lib.git@0d1f6c1#egg=lib")?.data.ref).toBe("short sha '0d1f6c1'");
    expect(finding("git+https://github.com/acme/lib.git")?.data.ref).toBe("no ref (the default branch)");
    expect(finding("https://github.com/acme/lib/archive/refs/heads/main.zip")?.messageId).toBe("vcsUnpinned");
  });

  it("reports tags unless allowVcsTags, and never shows credentials", () => {
    expect(finding("lib @ git+https://github.com/acme/lib.git@v1.4.0")).toMatchObject({ messageId: "vcsTag", data: { ref: "'v1.4.0'" } });
    expect(finding("lib @ git+https://github.com/acme/lib.git@v1.4.0", true)).toBeNull();
    const withToken = finding("git+https://user:s3cr3t-t0ken@github.com/acme/lib.git@main#egg=lib");
    expect(JSON.stringify(withToken)).not.toContain("s3cr3t");
  });
});

describe("requirementName and writtenAs", () => {
  it("names URL requirements by egg, archive repository or file", () => {
    expect(requirementName(requirement("git+https://github.com/acme/feature-store.git@main#egg=feature-store"))).toBe("feature-store");
    expect(requirementName(requirement("https://github.com/kubeflow/batch-predict/tarball/master"))).toBe("batch-predict");
    expect(requirementName(requirement("git+https://github.com/acme/tools.git@main"))).toBe("tools");
  });

  it("writes the requirement without extras and markers", () => {
    expect(writtenAs("pandas", requirement('pandas[performance]>=2.1 ; python_version >= "3.10"'))).toBe("pandas>=2.1");
    expect(writtenAs("numpy", requirement("numpy"))).toBe("numpy");
  });
});

describe("globToRegExp", () => {
  it("matches uv workspace member globs", () => {
    expect(globToRegExp("packages/*").test("packages/scorer")).toBe(true);
    expect(globToRegExp("packages/*").test("packages/scorer/sub")).toBe(false);
    expect(globToRegExp("./libs/**").test("libs/a/b")).toBe(true);
    expect(globToRegExp("svc-?").test("svc-a")).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { parseMakefile } from "../src/parsers/makefile.js";
import { parseMarkdown } from "../src/parsers/markdown.js";
import { commandWords, parseShellScript, tokenizeShell, type ShellCommand } from "../src/parsers/shell.js";
import { LineIndex } from "../src/parsers/text.js";

/** Each command as its words joined by a space. */
function texts(commands: ShellCommand[]): string[] {
  return commands.map((command) => command.words.map((word) => word.text).join(" "));
}

function shell(text: string): ShellCommand[] {
  return parseShellScript(text, "x.sh").commands;
}

describe("parseMarkdown", () => {
  it("finds inline links with their line and column", () => {
    const document = parseMarkdown("# Title\n\nSee the [runbook](docs/runbook.md) and\n[wiki](https://wiki.example.com/x).\n", "README.md");
    expect(document.links).toEqual([
      expect.objectContaining({ url: "docs/runbook.md", text: "runbook", kind: "inline", location: expect.objectContaining({ line: 3, column: 9 }) }),
      expect.objectContaining({ url: "https://wiki.example.com/x", text: "wiki", location: expect.objectContaining({ line: 4, column: 1 }) }),
    ]);
  });

  it("resolves reference links to their definition's URL, at the reference's position", () => {
    const text = "Read the [on-call guide][oncall] and [Ops].\n\n[oncall]: ./ops/on-call.md\n[ops]: <docs/Operations Guide.md> \"Ops\"\n[unused]: nowhere.md\n";
    const document = parseMarkdown(text, "README.md");
    expect(document.links.map((link) => [link.url, link.text, link.kind, link.location.line, link.location.column])).toEqual([
      ["./ops/on-call.md", "on-call guide", "reference", 1, 10],
      ["docs/Operations Guide.md", "Ops", "reference", 1, 38],
    ]);
  });

  it("reads autolinks and HTML anchors, each at its own line, with the anchor text", () => {
    const text = [
      "<https://runbooks.example.com/churn>", // 1
      "", // 2
      "<div align=\"center\">", // 3
      "  <a href=\"docs/a.md\">First</a>", // 4
      "  <a class=x href='docs/b.md'><b>Second</b> doc</a>", // 5
      "</div>", // 6
      "", // 7
      "Inline <a href=\"docs/c.md\">third <em>one</em></a> here.", // 8
    ].join("\n");
    const links = parseMarkdown(text, "README.md").links;
    expect(links.map((link) => [link.url, link.text, link.kind, link.location.line])).toEqual([
      ["https://runbooks.example.com/churn", "https://runbooks.example.com/churn", "autolink", 1],
      ["docs/a.md", "First", "html", 4],
      ["docs/b.md", "Second doc", "html", 5],
      ["docs/c.md", "third one", "html", 8],
    ]);
    expect(links[1]?.location.column).toBe(3);
  });

  it("lists headings with depth, text and line, setext included", () => {
    const document = parseMarkdown("# Churn *API*\n\nRolling back\n------------\n\n### Step `1`\n", "README.md");
    expect(document.headings.map((heading) => [heading.depth, heading.text, heading.location.line])).toEqual([
      [1, "Churn API", 1],
      [2, "Rolling back", 3],
      [3, "Step 1", 6],
    ]);
  });

  it("gives code blocks their language and the line where their content starts", () => {
    const text = "Intro `helm rollback churn-api` here.\n\n```bash title=x\nkubectl rollout undo deployment/churn-api\n```\n\n    indented --code\n\n~~~\nplain\n~~~\n";
    const code = parseMarkdown(text, "README.md").code;
    expect(code.map((block) => [block.lang, block.value, block.location.line, block.contentLine])).toEqual([
      ["inline", "helm rollback churn-api", 1, 1],
      ["bash", "kubectl rollout undo deployment/churn-api", 3, 4],
      ["", "indented --code", 7, 7],
      ["", "plain", 9, 10],
    ]);
  });

  it("does not crash on odd input", () => {
    const odd = [
      "",
      "\uFFFD\uFFFD invalid bytes read as replacement characters \uFFFD",
      "\u0000\u0001 control characters [x](\u0000)",
      "[unclosed link(",
      "```\nunclosed fence",
      "<a href=\"unclosed",
      ">".repeat(5000) + " deep quote",
      "*".repeat(10000),
      "[a](".repeat(2000),
      "\ud800 lone surrogate",
    ];
    for (const text of odd) {
      expect(() => parseMarkdown(text, "odd.md")).not.toThrow();
    }
    expect(parseMarkdown("[x](<y z>)", "odd.md").links[0]?.url).toBe("y z");
  });
});

describe("tokenizeShell / parseShellScript", () => {
  it("splits commands on operators and newlines", () => {
    expect(texts(shell("a 1 && b 2 || c; d | e |& f & g\n(h) ; i;; j"))).toEqual(["a 1", "b 2", "c", "d", "e", "f", "g", "h", "i", "j"]);
  });

  it("joins backslash continuations and keeps each word's own line", () => {
    const [command] = shell("kubectl \\\n  -n prod \\\n  rollout undo \\\n  deployment/churn-api\n");
    expect(command?.words.map((word) => [word.text, word.location.line, word.location.column])).toEqual([
      ["kubectl", 1, 1],
      ["-n", 2, 3],
      ["prod", 2, 6],
      ["rollout", 3, 3],
      ["undo", 3, 11],
      ["deployment/churn-api", 4, 3],
    ]);
  });

  it("removes quotes; a word starts at its opening quote", () => {
    const [command] = shell(`echo "hello world" 'x y' a\\ b it"'"s "a\\"b" $'c'`);
    expect(command?.words.map((word) => word.text)).toEqual(["echo", "hello world", "x y", "a b", "it's", 'a"b', "c"]);
    expect(command?.words.map((word) => word.location.column)).toEqual([1, 6, 20, 26, 31, 38, 45]);
  });

  it("reads a quoted string over several lines as one word", () => {
    const commands = shell('python -c "\nimport os\nprint(1)\n"\nhelm rollback churn-api\n');
    expect(texts(commands)).toEqual(["python -c \nimport os\nprint(1)\n", "helm rollback churn-api"]);
    expect(commands[1]?.location.line).toBe(5);
  });

  it("drops comments, but not a # inside a word", () => {
    expect(texts(shell("# header\necho a#b c # trailing 'quote\n  # indented\nls"))).toEqual(["echo a#b c", "ls"]);
  });

  it("skips heredoc bodies, quoted or dash delimiters included, and not here-strings", () => {
    const text = [
      "cat <<EOF > /tmp/x", // 1
      "kubectl rollout undo deployment/not-a-command", // 2
      "EOF", // 3
      "cat <<-'END' | kubectl apply -f -", // 4
      "\tkind: Deployment", // 5
      "\tEND", // 6
      "grep x <<< word", // 7
      "helm rollback churn-api", // 8
    ].join("\n");
    const commands = shell(text);
    expect(texts(commands)).toEqual(["cat", "cat", "kubectl apply -f -", "grep x", "helm rollback churn-api"]);
    expect(commands.map((command) => command.location.line)).toEqual([1, 4, 4, 7, 8]);
  });

  it("drops redirections with their targets and file descriptors", () => {
    expect(texts(shell("kubectl get po 2>/dev/null >out.txt\nkubectl logs x 2>&1 | tee log &>> all"))).toEqual(["kubectl get po", "kubectl logs x", "tee log"]);
  });

  it("keeps expansions literal and tokenises the commands inside substitutions", () => {
    const commands = shell('REV=$(kubectl rollout history deployment/churn-api | tail -1)\necho ${APP} "$HOME" `date` ${X:-d}');
    expect(texts(commands)).toEqual([
      "REV=$(kubectl rollout history deployment/churn-api | tail -1)",
      "kubectl rollout history deployment/churn-api",
      "tail -1",
      "echo $APP $HOME `date` ${X:-d}",
      "date",
    ]);
    expect(commands[1]?.location).toEqual({ line: 1, column: 7 });
  });

  it("does not take a function definition for a call", () => {
    expect(texts(shell("rollback() {\n  kubectl rollout undo deployment/x\n}\nrollback"))).toEqual(["{", "kubectl rollout undo deployment/x", "}", "rollback"]);
  });

  it("maps locations through baseOffset into the enclosing file", () => {
    const file = "RUN apt-get update && \\\n    pip install x";
    const commands = tokenizeShell(file.slice(4), new LineIndex(file), 4);
    expect(commands.map((command) => [command.words[0]?.text, command.location.line, command.location.column])).toEqual([
      ["apt-get", 1, 5],
      ["pip", 2, 5],
    ]);
  });

  it("stays linear and does not throw on broken input", () => {
    const broken = [`"unclosed ${"$(".repeat(20000)}`, "'".repeat(10001), "`".repeat(5001), "$(((((", "${", "a \\", "<<", "cat <<EOF\nno end"];
    for (const text of broken) expect(() => shell(text)).not.toThrow();
    const started = Date.now();
    shell(`echo "x $(${"a ".repeat(5000)}\n`.repeat(40));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reads the shebang interpreter", () => {
    expect(parseShellScript("#!/usr/bin/env bash\necho", "x.sh").interpreter).toBe("bash");
    expect(parseShellScript("#!/bin/sh -e\necho", "x.sh").interpreter).toBe("sh");
    expect(parseShellScript("echo", "x.sh").interpreter).toBeUndefined();
  });

  it("commandWords drops assignments, reserved words and wrappers", () => {
    const words = (text: string) => commandWords(shell(text)[0] as ShellCommand);
    expect(words("FOO=bar sudo -E -u deploy /usr/local/bin/kubectl get po")).toEqual(["kubectl", "get", "po"]);
    expect(words("if ! env -i A=1 helm rollback x; then :; fi")).toEqual(["helm", "rollback", "x"]);
    expect(words("then exec nohup time kubectl rollout undo deploy/x")).toEqual(["kubectl", "rollout", "undo", "deploy/x"]);
  });
});

describe("parseMakefile", () => {
  const makefile = [
    "RELEASE ?= churn-api", // 1
    "VERSION := $(shell git describe)", // 2
    ".PHONY: deploy rollback", // 3
    "", // 4
    "deploy: build push ## Deploy", // 5
    "\t@helm upgrade --install $(RELEASE) ./chart \\", // 6
    "\t  --set image.tag=$(VERSION)", // 7
    "ifeq ($(ENV),prod)", // 8
    "\t-kubectl annotate deployment/$(RELEASE) deployed-by=make", // 9
    "endif", // 10
    "", // 11
    "rollback undo: check ; kubectl rollout undo deployment/$(RELEASE)", // 12
    "\techo $$HOME $$(date)", // 13
    "# a comment", // 14
    "define HELP", // 15
    "\tnot a recipe", // 16
    "endef", // 17
    "build: NAME = x", // 18
    "\tnot a recipe either", // 19
  ].join("\n");
  const parsed = parseMakefile(makefile, "Makefile");
  const byName = new Map(parsed.targets.map((target) => [target.name, target]));

  it("lists targets with their line and prerequisites, not variables or special targets", () => {
    expect(parsed.targets.map((target) => [target.name, target.location.line, target.location.column, target.prerequisites])).toEqual([
      ["deploy", 5, 1, ["build", "push"]],
      ["rollback", 12, 1, ["check"]],
      ["undo", 12, 10, ["check"]],
    ]);
  });

  it("joins continued recipe lines, keeps recipes across conditionals and strips make prefixes", () => {
    const deploy = byName.get("deploy");
    expect(texts(deploy?.commands ?? [])).toEqual([
      "helm upgrade --install $(RELEASE) ./chart --set image.tag=$(VERSION)",
      "kubectl annotate deployment/$(RELEASE) deployed-by=make",
    ]);
    expect(deploy?.commands.map((command) => [command.location.line, command.location.column])).toEqual([[6, 3], [9, 3]]);
    expect(deploy?.commands[0]?.words.at(-1)?.location.line).toBe(7);
  });

  it("reads a `; recipe` on the rule line and treats $$ as the shell's $", () => {
    const rollback = byName.get("rollback");
    expect(texts(rollback?.commands ?? [])).toEqual(["kubectl rollout undo deployment/$(RELEASE)", "echo $HOME $(date)", "date"]);
    expect(rollback?.commands[0]?.location).toEqual({ line: 12, column: 24 });
    expect(byName.get("undo")?.commands).toHaveLength(3);
  });

  it("does not crash on odd input", () => {
    for (const text of ["", "\t orphan recipe", "x:\n\t\\", "a: b\n\t$(", ":\n\t:", "define\n", "x: ;"]) {
      expect(() => parseMakefile(text, "Makefile")).not.toThrow();
    }
  });
});

describe("markdown paragraphs and shell details", () => {
  it("keeps paragraphs of prose, also inside list items, with their lines", () => {
    const document = parseMarkdown("# T\n\nFirst line\nsecond line.\n\n- item one\n\n```\ncode\n```\n", "README.md");
    expect(document.paragraphs.map((paragraph) => [paragraph.location.line, paragraph.text])).toEqual([
      [3, "First line\nsecond line."],
      [6, "item one"],
    ]);
  });

  it("ends an arithmetic expansion at its closing parentheses", () => {
    const script = parseShellScript("x=$((1 + (2 * 3)))\necho done\n", "a.sh");
    expect(script.commands.map((command) => [command.location.line, command.words.map((word) => word.text)])).toEqual([
      [1, ["x=$((1 + (2 * 3)))"]],
      [2, ["echo", "done"]],
    ]);
  });

  it("reads the options a shebang passes to the interpreter", () => {
    expect(parseShellScript("#!/bin/bash -e\necho", "x.sh").interpreterFlags).toEqual(["-e"]);
    expect(parseShellScript("#!/usr/bin/env -S bash -eu\necho", "x.sh")).toMatchObject({ interpreter: "bash", interpreterFlags: ["-eu"] });
    expect(parseShellScript("#!/usr/bin/env bash\necho", "x.sh").interpreterFlags).toBeUndefined();
  });
});

describe("markdown on pathological input", () => {
  it("parses a 100,000-character line of emphasis markers (micromark resolves them in quadratic time) and keeps positions", () => {
    const document = parseMarkdown(`# T\n\n${"*a".repeat(50_000)}\n\n[runbook](docs/runbook.md)\n`, "README.md");
    expect(document.links.map((link) => [link.url, link.location.line])).toEqual([["docs/runbook.md", 5]]);
    expect(document.paragraphs[0]?.text).toMatch(/^(?: ?a){50000}$/);
  });
});

import { defineRule } from "../rule.js";

// Placeholder while the rule is written; replaced before the first commit.
export default defineRule({
  meta: {
    id: "runbook-linked",
    title: "TODO",
    section: "container",
    severity: "error",
    weight: 1,
    description: "TODO",
    defaultOptions: {},
    messages: { todo: "TODO" },
  },
  check(context) {
    context.skip("not written yet");
  },
});

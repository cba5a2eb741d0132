import assert from "node:assert/strict";
import { test } from "node:test";
import { buildPayload } from "../../src/controller/notifications/payload.js";
import type { TemplateValues } from "../../src/controller/notifications/template.js";
import { renderTemplate, unknownPlaceholders } from "../../src/controller/notifications/template.js";

const values: TemplateValues = {
  app: "web",
  namespace: "apps",
  project: "default",
  revision: "0123456789abcdef0123456789abcdef01234567",
  author: "Ada <ada@example.com>",
  message: "bump {{app}} to <v2> & more",
  status: "Failed",
  detail: "Deployment apps/web: replicas must be >= 0",
  trigger: "sync-failed",
};

test("placeholders are substituted once: a value containing {{…}} stays literal", () => {
  assert.equal(
    renderTemplate("{{app}}@{{ revision }} by {{author}}: {{message}}", values),
    "web@0123456789abcdef0123456789abcdef01234567 by Ada <ada@example.com>: bump {{app}} to <v2> & more",
  );
});

test("only known placeholders exist; anything else (expressions, properties) is reported", () => {
  assert.deepEqual(unknownPlaceholders("{{app}} {{constructor}} {{app.name}} {{ 1+1 }} {{}}"), [
    "constructor",
    "app.name",
    "1+1",
    "",
  ]);
  assert.equal(renderTemplate("{{constructor}} {{__proto__}}", values), "{{constructor}} {{__proto__}}");
});

test("long values are clipped", () => {
  const text = renderTemplate("{{detail}}", { ...values, detail: "x".repeat(5_000) });
  assert.equal(text.length, 1_000);
  assert.ok(text.endsWith("..."));
});

test("Slack: {text, blocks}; values are mrkdwn-escaped, the template's own markup is kept", () => {
  const payload = buildPayload("slack", "*{{app}}*: {{message}}", values, new Date(0));
  assert.deepEqual(Object.keys(payload), ["text", "blocks"]);
  assert.equal((payload as { text: string }).text, "*web*: bump {{app}} to &lt;v2&gt; &amp; more");
  const blocks = (payload as { blocks: readonly { type: string }[] }).blocks;
  assert.deepEqual(
    blocks.map((b) => b.type),
    ["section", "context"],
  );
});

test("webhook: structured JSON with the rendered text", () => {
  const payload = buildPayload("webhook", "{{app}} {{status}}", values, new Date(0));
  assert.deepEqual(payload, {
    trigger: "sync-failed",
    text: "web Failed",
    app: { namespace: "apps", name: "web", project: "default" },
    revision: values.revision,
    author: values.author,
    commitMessage: values.message,
    status: "Failed",
    detail: values.detail,
    time: "1970-01-01T00:00:00.000Z",
  });
});

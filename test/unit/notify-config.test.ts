import assert from "node:assert/strict";
import { test } from "node:test";
import { formatConfigError, parseNotificationConfig } from "../../src/controller/notifications/config.js";

const TARGETS = `
- name: team-slack
  type: slack
  urlFrom: {secretKeyRef: {name: notify-secrets, key: slack-url}}
- name: audit
  type: webhook
  url: https://audit.example.com/hook
  headers: {X-Source: tether}
  headersFrom: {secretRef: {name: audit-headers}}
  timeoutSeconds: 3
  maxAttempts: 2
`;

test("a full config parses: targets with inline and Secret URLs, triggers, selector, templates, optIn", () => {
  const { config, errors } = parseNotificationConfig({
    targets: TARGETS,
    triggers: `
- on: [sync-failed, health-degraded]
  targets: [team-slack, audit]
  selector: "team=payments,tier!=canary"
- on: drift-corrected
  targets: audit
`,
    "template.sync-failed": "{{app}} broke at {{ revision }}",
    optIn: "true",
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(config.targets[0], {
    name: "team-slack",
    type: "slack",
    url: { secret: "notify-secrets", key: "slack-url" },
    headers: {},
    timeoutMs: 10_000,
    maxAttempts: 4,
  });
  assert.deepEqual(config.targets[1], {
    name: "audit",
    type: "webhook",
    url: { value: "https://audit.example.com/hook" },
    headers: { "X-Source": "tether" },
    headersSecret: "audit-headers",
    timeoutMs: 3_000,
    maxAttempts: 2,
  });
  assert.deepEqual(config.triggers[0]?.on, ["sync-failed", "health-degraded"]);
  assert.deepEqual(config.triggers[0]?.selector, [
    { key: "team", op: "in", values: ["payments"] },
    { key: "tier", op: "notin", values: ["canary"] },
  ]);
  assert.deepEqual(config.triggers[1], { on: ["drift-corrected"], targets: ["audit"], selector: [] });
  assert.equal(config.templates["sync-failed"], "{{app}} broke at {{ revision }}");
  assert.equal(config.optIn, true);
});

test("every error names the ConfigMap key and the field; broken entries are skipped, good ones kept", () => {
  const { config, errors } = parseNotificationConfig({
    targets: `
- name: ok
  type: webhook
  url: https://example.com/a
- name: Bad_Name
  type: email
  url: ftp://x
- name: both
  type: slack
  url: https://example.com/b
  urlFrom: {secretKeyRef: {name: s, key: k}}
- name: ok
  type: webhook
  url: https://example.com/dup
- name: extra
  type: webhook
  url: https://example.com/c
  retries: 3
  timeoutSeconds: 0
`,
    triggers: `
- on: sync-exploded
  targets: [ok]
- on: sync-failed
  targets: [missing]
- on: sync-failed
  targets: [ok]
  selector: "a in (b"
- on: sync-succeeded
  targets: [ok]
`,
    "template.sync-failed": "{{app}} {{process.env.HOME}}",
    "template.on-deploy": "x",
    trigers: "[]",
    optIn: "yes",
  });
  const text = errors.map((e) => formatConfigError(e));
  const has = (pattern: RegExp) =>
    assert.ok(
      text.some((t) => pattern.test(t)),
      `${pattern} in\n${text.join("\n")}`,
    );
  has(/key "targets", field \[1\]\.name: must be a lowercase DNS label/);
  has(/key "targets", field \[1\]\.type: must be "webhook" or "slack"/);
  has(/key "targets", field \[1\]\.url: must be an http\(s\) URL/);
  has(/key "targets", field \[2\]: set either url or urlFrom, not both/);
  has(/key "targets", field \[3\]\.name: duplicate target name "ok"/);
  has(/key "targets", field \[4\]\.retries: is not a known field/);
  has(/key "targets", field \[4\]\.timeoutSeconds: must be an integer from 1 to 60/);
  has(/key "triggers", field \[0\]\.on: "sync-exploded" is not a trigger/);
  has(/key "triggers", field \[1\]\.targets: no valid target named "missing"/);
  has(/key "triggers", field \[2\]\.selector:/);
  has(/key "template\.sync-failed": unknown placeholder\(s\) \{\{process\.env\.HOME\}\}/);
  has(/key "template\.on-deploy": "on-deploy" is not a trigger/);
  has(/key "trigers": is not a known key/);
  has(/key "optIn": must be "true" or "false"/);
  assert.ok(text.every((t) => t.startsWith("ConfigMap tether-notifications, key ")));
  assert.deepEqual(
    config.targets.map((t) => t.name),
    ["ok"],
  );
  assert.deepEqual(
    config.triggers.map((t) => t.on),
    [["sync-succeeded"]],
  );
  assert.deepEqual(config.templates, {});
});

test("YAML that is not a list, or not YAML, is an error on its key", () => {
  const { errors } = parseNotificationConfig({ targets: "name: x", triggers: "- on: [" });
  assert.deepEqual(
    errors.map((e) => [e.key, e.message.split(":")[0]]),
    [
      ["targets", "must be a YAML list"],
      ["triggers", "not valid YAML"],
    ],
  );
});

test("an empty ConfigMap is a valid config that notifies nobody", () => {
  assert.deepEqual(parseNotificationConfig({}), {
    config: { targets: [], triggers: [], templates: {}, optIn: false },
    errors: [],
  });
});

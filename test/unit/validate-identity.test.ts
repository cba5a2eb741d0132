// The API's validation (applicationFromBody → validateApplication) refuses what the CRD's CEL rules
// refuse (test/integration/bad-input-identity.test.ts sends the same cases to the real apiserver),
// naming the field; and validateApplication is total: a spec of any shape gets messages, never throws.
import assert from "node:assert/strict";
import { test } from "node:test";
import { HttpError } from "../../src/api/errors.js";
import { applicationFromBody } from "../../src/api/validate.js";
import type { Application } from "../../src/model/application.js";
import { validateApplication } from "../../src/engine/validate.js";

const body = (source: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  metadata: { name: "web" },
  spec: { source, destination: { namespace: "apps" }, ...extra },
});

const refused: [string, Record<string, unknown>, string][] = [
  ["space", { repoURL: "https://git.example.com/re po.git" }, "spec.source.repoURL"],
  ["control character", { repoURL: "https://git.example.com/a\u0001b" }, "spec.source.repoURL"],
  ["zero-width space", { repoURL: "https://git.example.com/a\u200bb" }, "spec.source.repoURL"],
  ["../", { repoURL: "http://host/probe/../demo.git" }, "spec.source.repoURL"],
  [".git/../", { repoURL: "http://host/probe.git/../demo.git" }, "spec.source.repoURL"],
  ["%2e%2e", { repoURL: "http://host/probe/%2e%2e/demo.git" }, "spec.source.repoURL"],
  ["%2E%2e", { repoURL: "http://host/probe/%2E%2e/demo.git" }, "spec.source.repoURL"],
  [".%2e", { repoURL: "http://host/probe/.%2e/demo.git" }, "spec.source.repoURL"],
  ["%252e", { repoURL: "http://host/probe/%252e%252e/demo.git" }, "spec.source.repoURL"],
  ["backslash", { repoURL: "http://host/probe\\..\\demo.git" }, "spec.source.repoURL"],
  ["scp-like ../", { repoURL: "git@host:../demo.git" }, "spec.source.repoURL"],
  ["ext::", { repoURL: "ext::sh -c id" }, "spec.source.repoURL"],
  ["ftp://", { repoURL: "ftp://host/repo.git" }, "spec.source.repoURL"],
  ["query", { repoURL: "https://host/repo.git?x=1" }, "spec.source.repoURL"],
  ["over 2048 characters", { repoURL: `https://host/${"a".repeat(2100)}` }, "spec.source.repoURL"],
  ["oci:// for a Git source", { repoURL: "oci://ghcr.io/org/charts" }, "spec.source.repoURL"],
  ["absolute path", { repoURL: "https://host/r.git", path: "/etc" }, "spec.source.path"],
  ["path with ..", { repoURL: "https://host/r.git", path: "apps/../../etc" }, "spec.source.path"],
  ["path with a newline", { repoURL: "https://host/r.git", path: "apps\nx" }, "spec.source.path"],
  ["path with a backslash", { repoURL: "https://host/r.git", path: "..\\etc" }, "spec.source.path"],
  [
    "revision with a newline",
    { repoURL: "https://host/r.git", targetRevision: "main\n" },
    "spec.source.targetRevision",
  ],
];

for (const [what, source, field] of refused) {
  test(`API refuses an Application: ${what} (422 naming ${field})`, () => {
    assert.throws(
      () => applicationFromBody(body(source), "apps", []),
      (error: unknown) => error instanceof HttpError && error.status === 422 && error.message.includes(field),
    );
  });
}

test("API refuses a project name that is not a name", () => {
  assert.throws(
    () => applicationFromBody(body({ repoURL: "https://host/r.git" }, { project: "../x" }), "apps", []),
    (error: unknown) => error instanceof HttpError && error.message.includes("spec.project"),
  );
});

test("API admits the spellings the CRD admits", () => {
  const accepted = [
    "HTTPS://GitHub.com:443/Org/Repo.git/",
    "git@github.com:org/repo.git",
    "ssh://git@host:2222/x.git",
    "git://host/x",
    "file:///srv/git/x.git",
    "https://host/caf%C3%A9.git",
    "https://host/...dots/x",
  ];
  for (const repoURL of accepted) applicationFromBody(body({ repoURL, path: "a b/c" }), "apps", []);
  applicationFromBody(
    body({ repoURL: "oci://ghcr.io/org/charts", chart: "x", targetRevision: ">=1 <2" }),
    "apps",
    [],
  );
  applicationFromBody(body({ repoURL: "https://charts.jetstack.io", chart: "cert-manager" }), "apps", []);
});

test("validateApplication is total: every shape an older CRD could have stored gets messages", () => {
  const shapes: unknown[] = [
    42,
    "spec",
    null,
    [],
    { source: "nope", destination: {} },
    { destination: {} },
    { source: { repoURL: 42 }, destination: {} },
    { source: { repoURL: "https://h/r.git", path: 5, targetRevision: {} }, destination: "x" },
    { source: { repoURL: "https://h/r.git" }, destination: { server: 7, name: [], namespace: {} } },
    { source: { repoURL: "https://h/r.git" }, destination: {}, project: ["x"], syncPolicy: "auto" },
    {
      source: { repoURL: "https://h/r.git" },
      destination: {},
      syncPolicy: { retry: { backoff: "x", limit: "y" } },
    },
    { source: { repoURL: "https://h/r.git" }, destination: {}, decryption: "sops" },
  ];
  for (const spec of shapes) {
    const app = { metadata: { name: "odd", namespace: "apps" }, spec } as unknown as Application;
    const problems = validateApplication(app);
    assert.ok(problems.length > 0, JSON.stringify(spec));
    for (const p of problems) assert.match(p, /^Application apps\/odd: spec/, p);
  }
});

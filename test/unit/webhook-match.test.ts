// appsToRefresh: which Applications a push refreshes (rules in src/api/webhooks/match.ts), as a
// table of cases, plus end-to-end from a fixture.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { PushEvent } from "../../src/api/webhooks/index.js";
import { appsToRefresh, parsePushEvent, watchedPaths, ZERO_SHA } from "../../src/api/webhooks/index.js";
import { MANIFEST_GENERATE_PATHS_ANNOTATION } from "../../src/model/contract.js";
import type { Application, ApplicationSource } from "../../src/model/application.js";
import { API_VERSION } from "../../src/model/application.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../testdata/webhooks");
const SHA = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

function app(source: Partial<ApplicationSource>, annotations?: Record<string, string>): Application {
  return {
    apiVersion: API_VERSION,
    kind: "Application",
    metadata: { name: "app", namespace: "tether", ...(annotations ? { annotations } : {}) },
    spec: {
      source: { repoURL: "https://github.com/acme/platform.git", ...source },
      destination: { namespace: "default" },
    },
  };
}

function push(overrides: Partial<PushEvent> = {}): PushEvent {
  return {
    provider: "github",
    repoURLs: ["https://github.com/acme/platform.git", "git@github.com:acme/platform.git"],
    ref: "refs/heads/main",
    branch: "main",
    after: SHA,
    defaultBranch: "main",
    changedPaths: ["apps/frontend/deployment.yaml"],
    deleted: false,
    ...overrides,
  };
}

function tagPush(tag: string, overrides: Partial<PushEvent> = {}): PushEvent {
  return push({ ref: `refs/tags/${tag}`, branch: undefined, tag, changedPaths: undefined, ...overrides });
}

interface Case {
  name: string;
  event: PushEvent;
  source: Partial<ApplicationSource>;
  annotations?: Record<string, string>;
  refresh: boolean;
}

const cases: Case[] = [
  // Revision
  { name: "branch name", event: push(), source: { targetRevision: "main" }, refresh: true },
  { name: "other branch", event: push(), source: { targetRevision: "develop" }, refresh: false },
  { name: "full ref", event: push(), source: { targetRevision: "refs/heads/main" }, refresh: true },
  {
    name: "full ref of another branch",
    event: push(),
    source: { targetRevision: "refs/heads/dev" },
    refresh: false,
  },
  { name: "HEAD → default branch", event: push(), source: { targetRevision: "HEAD" }, refresh: true },
  { name: "empty → default branch", event: push(), source: {}, refresh: true },
  {
    name: "HEAD, push to a non-default branch",
    event: push({ ref: "refs/heads/dev", branch: "dev" }),
    source: { targetRevision: "HEAD" },
    refresh: false,
  },
  {
    name: "HEAD, default branch unknown → any branch push",
    event: push({ ref: "refs/heads/dev", branch: "dev", defaultBranch: undefined }),
    source: { targetRevision: "HEAD" },
    refresh: true,
  },
  {
    name: "HEAD never follows a tag push",
    event: tagPush("v1.0.0", { defaultBranch: undefined }),
    source: { targetRevision: "HEAD" },
    refresh: false,
  },
  { name: "tag name", event: tagPush("v1.4.0"), source: { targetRevision: "v1.4.0" }, refresh: true },
  {
    name: "branch target, tag push",
    event: tagPush("main"),
    source: { targetRevision: "main" },
    refresh: true,
  },
  { name: "tag target, branch push", event: push(), source: { targetRevision: "v1.4.0" }, refresh: false },
  { name: "full SHA is pinned", event: push(), source: { targetRevision: SHA }, refresh: false },
  { name: "short SHA is pinned", event: push(), source: { targetRevision: "6113728" }, refresh: false },
  {
    name: "hex-looking branch name matches by name first",
    event: push({ ref: "refs/heads/deadbeef", branch: "deadbeef" }),
    source: { targetRevision: "deadbeef" },
    refresh: true,
  },
  {
    name: "semver range, satisfying tag",
    event: tagPush("v1.4.0"),
    source: { targetRevision: "^1.2.0" },
    refresh: true,
  },
  {
    name: "semver range, tag without v",
    event: tagPush("1.4.0"),
    source: { targetRevision: "~1.4" },
    refresh: true,
  },
  {
    name: "semver range, tag outside",
    event: tagPush("v2.0.0"),
    source: { targetRevision: "^1.2.0" },
    refresh: false,
  },
  {
    name: "semver range, pre-release excluded",
    event: tagPush("v1.5.0-rc.1"),
    source: { targetRevision: "^1.2.0" },
    refresh: false,
  },
  {
    name: "semver range, non-version tag",
    event: tagPush("release"),
    source: { targetRevision: "*" },
    refresh: false,
  },
  { name: "semver range, branch push", event: push(), source: { targetRevision: ">=1.0.0" }, refresh: false },
  {
    name: "semver range, deleted satisfying tag",
    event: tagPush("v1.4.0", { deleted: true, after: ZERO_SHA }),
    source: { targetRevision: "1.x" },
    refresh: true,
  },
  // Repository
  {
    name: "ssh app, https+ssh payload",
    event: push(),
    source: { repoURL: "git@github.com:acme/platform.git", targetRevision: "main" },
    refresh: true,
  },
  {
    name: "ssh:// app form",
    event: push(),
    source: { repoURL: "ssh://git@github.com/acme/platform", targetRevision: "main" },
    refresh: true,
  },
  {
    name: "URL case and trailing slash",
    event: push(),
    source: { repoURL: "https://GitHub.com/ACME/Platform/", targetRevision: "main" },
    refresh: true,
  },
  {
    name: "other repository",
    event: push(),
    source: { repoURL: "https://github.com/acme/platform-old.git", targetRevision: "main" },
    refresh: false,
  },
  {
    name: "other host",
    event: push(),
    source: { repoURL: "https://gitlab.com/acme/platform.git", targetRevision: "main" },
    refresh: false,
  },
  {
    name: "Helm repository app",
    event: push(),
    source: { repoURL: "https://github.com/acme/platform.git", chart: "web" },
    refresh: false,
  },
  {
    name: "unparseable app URL",
    event: push(),
    source: { repoURL: "not a url", targetRevision: "main" },
    refresh: false,
  },
  // Paths (monorepo)
  {
    name: "path changed",
    event: push(),
    source: { targetRevision: "main", path: "apps/frontend" },
    refresh: true,
  },
  {
    name: "path unchanged",
    event: push(),
    source: { targetRevision: "main", path: "apps/backend" },
    refresh: false,
  },
  {
    name: "path prefix is not a parent",
    event: push(),
    source: { targetRevision: "main", path: "apps/front" },
    refresh: false,
  },
  {
    name: "path with ./ and trailing /",
    event: push(),
    source: { targetRevision: "main", path: "./apps/frontend/" },
    refresh: true,
  },
  {
    name: "path '.' is the whole repo",
    event: push(),
    source: { targetRevision: "main", path: "." },
    refresh: true,
  },
  {
    name: "file list unknown → refresh",
    event: push({ changedPaths: undefined }),
    source: { targetRevision: "main", path: "apps/backend" },
    refresh: true,
  },
  {
    name: "deleted branch refreshes the apps that follow it, whatever their path",
    event: push({ deleted: true, after: ZERO_SHA, changedPaths: [] }),
    source: { targetRevision: "main", path: "apps/backend" },
    refresh: true,
  },
  {
    name: "deleted branch, app on another branch",
    event: push({
      ref: "refs/heads/feature",
      branch: "feature",
      deleted: true,
      after: ZERO_SHA,
      changedPaths: undefined,
    }),
    source: { targetRevision: "main" },
    refresh: false,
  },
  {
    name: "manifest-generate-paths relative (../base)",
    event: push({ changedPaths: ["apps/base/kustomization.yaml"] }),
    source: { targetRevision: "main", path: "apps/backend" },
    annotations: { [MANIFEST_GENERATE_PATHS_ANNOTATION]: "../base" },
    refresh: true,
  },
  {
    name: "manifest-generate-paths absolute (/common) among several",
    event: push({ changedPaths: ["common/labels.yaml"] }),
    source: { targetRevision: "main", path: "apps/backend" },
    annotations: { [MANIFEST_GENERATE_PATHS_ANNOTATION]: ".; ../base ;/common" },
    refresh: true,
  },
  {
    name: "manifest-generate-paths, nothing watched changed",
    event: push({ changedPaths: ["docs/readme.md"] }),
    source: { targetRevision: "main", path: "apps/backend" },
    annotations: { [MANIFEST_GENERATE_PATHS_ANNOTATION]: "../base;/common" },
    refresh: false,
  },
  {
    name: "Helm value file outside the chart path",
    event: push({ changedPaths: ["values/prod.yaml"] }),
    source: { targetRevision: "main", path: "charts/web", helm: { valueFiles: ["../../values/prod.yaml"] } },
    refresh: true,
  },
];

for (const c of cases) {
  test(`appsToRefresh: ${c.name}`, () => {
    const result = appsToRefresh(c.event, [app(c.source, c.annotations)]);
    assert.equal(result.length, c.refresh ? 1 : 0, JSON.stringify(result.map((r) => r.reason)));
    if (c.refresh) assert.equal(result[0]?.key, "tether/app");
  });
}

test("watchedPaths: app path, value files, annotation; escaping the repo watches everything", () => {
  const a = app(
    { path: "apps/web", helm: { valueFiles: ["values.yaml", "https://example.com/v.yaml"] } },
    { [MANIFEST_GENERATE_PATHS_ANNOTATION]: ";../shared;/lib/;." },
  );
  assert.deepEqual(watchedPaths(a), ["apps/web", "apps/web/values.yaml", "apps/shared", "lib"]);
  assert.deepEqual(watchedPaths(app({ path: "apps" }, { [MANIFEST_GENERATE_PATHS_ANNOTATION]: "../../x" })), [
    "apps",
    "",
  ]);
});

test("a GitHub fixture push refreshes exactly the matching apps, with reasons", () => {
  const body = fs.readFileSync(path.join(root, "github-push.json"));
  const parsed = parsePushEvent("github", "push", body);
  assert.ok("pushes" in parsed);
  const [event] = parsed.pushes;
  assert.ok(event);
  const named = (name: string, source: Partial<ApplicationSource>): Application => {
    const a = app(source);
    a.metadata.name = name;
    return a;
  };
  const apps = [
    named("frontend", {
      repoURL: "git@github.com:acme/platform.git",
      targetRevision: "HEAD",
      path: "apps/frontend",
    }),
    named("backend", { targetRevision: "main", path: "apps/backend" }),
    named("docs", { targetRevision: "main", path: "docs" }),
    named("frontend-pinned", {
      targetRevision: "9049f1265b7d61be4a8904a9a27120d2064dab3b",
      path: "apps/frontend",
    }),
    named("frontend-staging", { targetRevision: "staging", path: "apps/frontend" }),
  ];
  const result = appsToRefresh(event, apps);
  assert.deepEqual(
    result.map((r) => r.key),
    ["tether/frontend", "tether/docs"],
  );
  assert.equal(
    result[0]?.reason,
    'push to refs/heads/main of git@github.com:acme/platform.git: targetRevision HEAD is the default branch "main"; "apps/frontend/deployment.yaml" changed under "apps/frontend"',
  );
});

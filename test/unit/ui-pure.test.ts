// The web UI's pure helpers: links only for http(s) (commit links derived from repository URLs),
// the diff's Git side marking the drifted fields, the list's filters, and API error fields mapped
// to form inputs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ApplicationSummary } from "../../src/api/types.js";
import { DIFFERS, gitSideOf, MISSING_LIVE, pointerPath } from "../../src/ui/drift.js";
import { countBy, matchesScope, matchesStatus, filterFromSearch, searchOf } from "../../src/ui/filter.js";
import { inputForField } from "../../src/ui/form-fields.js";
import { commitUrl, repositoryWebUrl, safeHttpUrl, shortRevision } from "../../src/ui/links.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("ui links", () => {
  test("only http(s) URLs become links; credentials never echoed", () => {
    assert.equal(safeHttpUrl("https://example.com/x"), "https://example.com/x");
    for (const bad of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,<script>",
      "vbscript:x",
      "file:///etc/passwd",
      "//evil.example",
      "",
      "not a url",
      "https://user:pw@example.com/",
    ]) {
      assert.equal(safeHttpUrl(bad), undefined, bad);
    }
    assert.equal(
      safeHttpUrl("/api/v1/auth/oidc/login", "http://127.0.0.1:8080"),
      "http://127.0.0.1:8080/api/v1/auth/oidc/login",
    );
    assert.equal(safeHttpUrl("javascript:alert(1)", "http://127.0.0.1:8080"), undefined);
  });

  test("revisions: commit ids cut to 7, chart versions whole", () => {
    assert.equal(shortRevision(SHA), SHA.slice(0, 7));
    assert.equal(shortRevision("1.10.0-rc.1"), "1.10.0-rc.1");
    assert.equal(commitUrl("https://charts.example.com", "0.1.0"), undefined);
  });

  test("commit links per forge, from https, ssh and scp-style URLs", () => {
    assert.equal(commitUrl("https://github.com/o/r.git", SHA), `https://github.com/o/r/commit/${SHA}`);
    assert.equal(commitUrl("git@github.com:o/r.git", SHA), `https://github.com/o/r/commit/${SHA}`);
    assert.equal(
      commitUrl("ssh://git@gitlab.example.com/g/sub/r.git", SHA),
      `https://gitlab.example.com/g/sub/r/-/commit/${SHA}`,
    );
    assert.equal(commitUrl("https://bitbucket.org/o/r", SHA), `https://bitbucket.org/o/r/commits/${SHA}`);
    assert.equal(commitUrl("http://127.0.0.1:3000/o/r.git/", SHA), `http://127.0.0.1:3000/o/r/commit/${SHA}`);
    assert.equal(commitUrl("file:///srv/git/r.git", SHA), undefined);
    assert.equal(commitUrl("javascript:alert(1)//r.git", SHA), undefined);
    assert.equal(
      commitUrl("https://github.com/o/r", "<img src=x>"),
      undefined,
      "a revision that is not a SHA",
    );
    assert.equal(repositoryWebUrl("https://github.com/o/r.git?x=1#y"), "https://github.com/o/r");
  });
});

describe("ui diff: the Git side marks the differing fields", () => {
  test("pointers (with ~0/~1 escapes and indexes) mark existing fields; missing ones are added", () => {
    assert.deepEqual(pointerPath("/metadata/annotations/a~1b~0c"), ["metadata", "annotations", "a/b~c"]);
    assert.deepEqual(pointerPath("/spec/containers/0/image"), ["spec", "containers", 0, "image"]);
    const live = "spec:\n  replicas: 3\n  containers:\n    - name: web\n      image: nginx:1\n";
    const git = gitSideOf(live, ["/spec/replicas", "/spec/containers/0/image", "/spec/paused"]);
    assert.match(git, new RegExp(`replicas: "?${DIFFERS}"?`));
    assert.match(git, new RegExp(`image: "?${DIFFERS}"?`));
    assert.match(git, new RegExp(`paused: "?${MISSING_LIVE}"?`));
    assert.match(git, /name: web/, "the rest is unchanged");
    assert.equal(gitSideOf(live, []), live);
  });
});

describe("ui list filters", () => {
  const app = (name: string, over: Partial<ApplicationSummary> = {}): ApplicationSummary => ({
    name,
    namespace: "tether-system",
    project: "default",
    repoURL: "https://git.example/apps.git",
    sync: "Synced",
    health: "Healthy",
    destination: { server: "https://kubernetes.default.svc", namespace: name },
    ...over,
  });
  const apps = [
    app("web", { labels: { team: "shop" } }),
    app("api", { project: "backend", sync: "OutOfSync" }),
    app("db", { destination: { name: "prod", namespace: "data" }, health: "Degraded" }),
  ];

  test("search words, project, cluster and namespace scope; sync and health on top; counts", () => {
    const f = filterFromSearch(new URLSearchParams(""));
    assert.equal(apps.filter((a) => matchesScope(a, { ...f, q: "team=shop" })).length, 1);
    assert.equal(
      apps.filter((a) => matchesScope(a, { ...f, q: "WEB apps" })).length,
      1,
      "every word, any field, any case",
    );
    assert.deepEqual(
      apps.filter((a) => matchesScope(a, { ...f, project: "backend" })).map((a) => a.name),
      ["api"],
    );
    assert.deepEqual(
      apps.filter((a) => matchesScope(a, { ...f, cluster: "prod" })).map((a) => a.name),
      ["db"],
    );
    assert.deepEqual(
      apps.filter((a) => matchesScope(a, { ...f, namespace: "data" })).map((a) => a.name),
      ["db"],
    );
    assert.deepEqual(
      apps.filter((a) => matchesStatus(a, { ...f, sync: "OutOfSync" })).map((a) => a.name),
      ["api"],
    );
    assert.deepEqual([...countBy(apps, (a) => a.health)].sort(), [
      ["Degraded", 1],
      ["Healthy", 2],
    ]);
    assert.equal(searchOf({ ...f, q: "a b", sync: "Synced" }), "?q=a+b&sync=Synced");
    assert.deepEqual(filterFromSearch(new URLSearchParams("q=a+b&sync=Synced")), {
      ...f,
      q: "a b",
      sync: "Synced",
    });
  });
});

describe("ui form: API error fields find their input", () => {
  test("exact, nested and indexed paths; the most specific input wins; unknown fields none", () => {
    assert.equal(inputForField("spec.source.repoURL"), "repoURL");
    assert.equal(inputForField("spec.destination.namespace"), "destNamespace");
    assert.equal(inputForField("metadata.name"), "name");
    assert.equal(inputForField("metadata.labels.team"), "labels");
    assert.equal(inputForField("spec.syncPolicy.automated.prune"), "prune");
    assert.equal(inputForField("spec.syncPolicy.syncOptions[0]"), "createNamespace");
    assert.equal(inputForField("spec.source.helm.values"), undefined);
    assert.equal(inputForField(undefined), undefined);
  });
});

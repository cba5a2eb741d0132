// Argument parsing of `tether app` (durations, resource selectors, history ids, outputs; errors are
// usage errors) and the create body built from a file and flags.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import {
  parse,
  parseBool,
  parseDuration,
  parseHistoryId,
  parseOutput,
  parseResource,
} from "../../src/cli/app/args.js";
import { buildApplication } from "../../src/cli/app/create.js";
import { configPath, readConfig, writeConfig } from "../../src/cli/client/config.js";
import { UsageError } from "../../src/cli/errors.js";

const usage = (fn: () => unknown) => assert.throws(fn, UsageError);

describe("cli arguments", () => {
  test("durations", () => {
    assert.equal(parseDuration("90s"), 90_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("10"), 10_000);
    usage(() => parseDuration("soon"));
    usage(() => parseDuration("5m later"));
    usage(() => parseDuration(""));
  });
  test("resource selectors GROUP/KIND/NAMESPACE/NAME", () => {
    assert.deepEqual(parseResource("apps/Deployment/web/nginx"), {
      group: "apps",
      kind: "Deployment",
      namespace: "web",
      name: "nginx",
    });
    assert.deepEqual(parseResource("/ConfigMap/web/settings"), {
      group: "",
      kind: "ConfigMap",
      namespace: "web",
      name: "settings",
    });
    assert.deepEqual(parseResource("rbac.authorization.k8s.io/ClusterRole//reader"), {
      group: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "reader",
    });
    usage(() => parseResource("Deployment/nginx"));
    usage(() => parseResource("apps//web/nginx"));
  });
  test("history ids, outputs, booleans", () => {
    assert.equal(parseHistoryId("3"), 3);
    assert.equal(parseHistoryId("cancel"), "cancel");
    usage(() => parseHistoryId("-1"));
    usage(() => parseHistoryId(undefined));
    assert.equal(parseOutput(undefined), "table");
    assert.equal(parseOutput("yaml"), "yaml");
    usage(() => parseOutput("xml"));
    assert.equal(parseBool("cascade", undefined, true), true);
    assert.equal(parseBool("cascade", "false", true), false);
    usage(() => parseBool("cascade", "no", true));
  });
  test("unknown flags are usage errors; connection flags are accepted everywhere", () => {
    usage(() => parse(["--bogus"], {}));
    const { values, positionals } = parse(
      ["web", "--core", "--kubeconfig", "k", "--server", "s", "--token", "t"],
      {},
    );
    assert.deepEqual(positionals, ["web"]);
    assert.equal(values.core, true);
    assert.equal(values.kubeconfig, "k");
  });
});

describe("cli create body", () => {
  test("from flags: source, destination (in-cluster by default), automated policy, labels", () => {
    const body = buildApplication(
      {},
      {
        name: "web",
        namespace: "apps",
        repo: "http://g/r.git",
        path: "web",
        revision: "main",
        destNamespace: "web",
        autoSync: true,
        selfHeal: true,
        labels: ["team=a"],
      },
    );
    assert.deepEqual(body, {
      metadata: { name: "web", namespace: "apps", labels: { team: "a" } },
      spec: {
        source: { repoURL: "http://g/r.git", path: "web", targetRevision: "main" },
        destination: { namespace: "web", server: "https://kubernetes.default.svc" },
        syncPolicy: { automated: { selfHeal: true } },
      },
    });
  });
  test("from a manifest: flags win, server-side metadata and status are dropped, the file's namespace stays", () => {
    const file = {
      apiVersion: "tether.dev/v1alpha1",
      kind: "Application",
      metadata: { name: "web", namespace: "team", uid: "u", resourceVersion: "1" },
      spec: {
        source: { repoURL: "http://g/r.git", path: "a" },
        destination: { name: "in-cluster", namespace: "x" },
        syncPolicy: { automated: { prune: false } },
      },
      status: { sync: { status: "Synced" } },
    };
    const body = buildApplication(file, { namespace: "apps", path: "b", prune: true });
    assert.deepEqual(body, {
      metadata: { name: "web", namespace: "team" },
      spec: {
        source: { repoURL: "http://g/r.git", path: "b" },
        destination: { name: "in-cluster", namespace: "x" },
        syncPolicy: { automated: { prune: true } },
      },
    });
  });
  test("a name is required; labels must be KEY=VALUE", () => {
    usage(() => buildApplication({}, { repo: "r" }));
    usage(() => buildApplication({}, { name: "x", labels: ["novalue"] }));
  });
});

describe("cli config file", () => {
  test("TETHER_CONFIG, else XDG_CONFIG_HOME; written 0600 in a 0700 directory; missing reads as empty", async () => {
    assert.equal(configPath({ TETHER_CONFIG: "/x/c.json" }), "/x/c.json");
    assert.equal(configPath({ XDG_CONFIG_HOME: "/cfg" }), "/cfg/tether/config.json");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tether-cli-config-"));
    try {
      const file = path.join(dir, "sub", "config.json");
      assert.deepEqual(await readConfig(file), {});
      await writeConfig(file, { server: "http://s", token: "t" });
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
      assert.deepEqual(await readConfig(file), { server: "http://s", token: "t" });
      await fs.writeFile(file, "{nope");
      await assert.rejects(readConfig(file), /not valid JSON/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

// The informer against the real apiserver: it lists, follows changes, resumes after the server
// ends a watch (without re-listing), and stays quiet once stopped.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { InformerEventType } from "../../src/kube/informer.js";
import { Informer } from "../../src/kube/informer.js";
import { ResourceClient, collectionPath } from "../../src/kube/resources.js";
import { waitFor } from "../../src/lib/wait.js";
import { clients, testNamespace } from "../helpers/environment.js";

test("informer: list, add/modify/delete events, resume after the server ends the watch, stop", async (t) => {
  const namespace = await testNamespace(t);
  const { core } = clients();
  const resources = new ResourceClient(clients());
  const labelSelector = `informer-test=${namespace}`;
  const labels = { "informer-test": namespace };
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: "before", labels }, data: { v: "0" } },
  });
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: "unlabelled" }, data: { v: "0" } },
  });

  const events: string[] = [];
  const info = await resources.info("v1", "ConfigMap");
  const informer = new Informer({
    config: clients().config,
    path: collectionPath(info),
    labelSelector,
    watchTimeoutSeconds: 1,
    list: () => resources.listWithVersion("v1", "ConfigMap", labelSelector),
    onEvent: (type: InformerEventType, o: KubernetesObject) =>
      events.push(`${type} ${o.metadata?.name ?? ""}`),
  });
  t.after(() => informer.stop());
  await informer.start();
  assert.deepEqual(events, ["ADDED before"], "the initial list, filtered by label");
  assert.equal(informer.get(namespace, "before")?.metadata?.name, "before");

  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: "after", labels }, data: { v: "1" } },
  });
  await waitFor("ADDED after", () => events.includes("ADDED after"), { timeoutMs: 10_000 });
  await core.patchNamespacedConfigMap({
    namespace,
    name: "after",
    body: [{ op: "replace", path: "/data/v", value: "2" }],
  });
  await waitFor("MODIFIED after", () => events.includes("MODIFIED after"), { timeoutMs: 10_000 });

  // The server ends every watch after 1 s; changes made after that still arrive, with no re-list.
  await waitFor("the watch to be resumed twice", () => informer.connects >= 3, { timeoutMs: 15_000 });
  await core.deleteNamespacedConfigMap({ namespace, name: "before" });
  await waitFor("DELETED before", () => events.includes("DELETED before"), { timeoutMs: 10_000 });
  assert.equal(informer.relists, 1, "resumed from its resourceVersion, never re-listed");
  assert.equal(informer.get(namespace, "before"), undefined);
  assert.equal(informer.get(namespace, "after")?.metadata?.name, "after");
  assert.ok(!events.some((e) => e.endsWith("unlabelled")), "unlabelled objects are never seen");

  informer.stop();
  const seen = events.length;
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: "late", labels }, data: { v: "3" } },
  });
  // A later labelled change reaches a fresh watch, proving the stopped informer really stopped listening.
  const probe: string[] = [];
  const second = new Informer({
    config: clients().config,
    path: collectionPath(info),
    labelSelector,
    list: () => resources.listWithVersion("v1", "ConfigMap", labelSelector),
    onEvent: (type, o) => probe.push(`${type} ${o.metadata?.name ?? ""}`),
  });
  t.after(() => second.stop());
  await second.start();
  assert.ok(probe.includes("ADDED late"));
  assert.equal(events.length, seen, "no events after stop()");
});

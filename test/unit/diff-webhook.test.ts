import assert from "node:assert/strict";
import { test } from "node:test";
import { type JsonObject, compareObject, removeWebhookMutations } from "../../src/engine/diff/index.js";

// A ConfigMap Tether applied with data.a; a webhook adds data.injected and rewrites data.stamp.
function objects(): { desired: JsonObject; predicted: JsonObject; live: JsonObject } {
  const managedFields = [
    { manager: "tether", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:a": {} } } },
  ];
  return {
    desired: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "1" } },
    predicted: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", managedFields },
      data: { a: "1", stamp: "new", injected: "x" },
    },
    live: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", managedFields },
      data: { a: "1", stamp: "old", onlyLive: "y" },
    },
  };
}

test("fields Tether does not own take their live value; webhook additions are dropped", () => {
  const { predicted, live } = objects();
  const result = removeWebhookMutations(predicted, live, "tether");
  // onlyLive is absent from the dry-run result: Tether's apply would remove it, so it stays absent.
  assert.deepEqual(result.data, { a: "1", stamp: "old" });
  assert.equal((predicted.data as JsonObject).stamp, "new", "input not modified");
});

test("a field Tether owns keeps the predicted value even when live differs", () => {
  const { predicted, live } = objects();
  (live.data as JsonObject).a = "changed";
  assert.deepEqual(removeWebhookMutations(predicted, live, "tether").data, { a: "1", stamp: "old" });
  assert.deepEqual(compareObject({ ...objects(), live }).fields, ["/data/a", "/data/onlyLive"]);
});

test("without any field owned by the manager, the dry-run result is used as is", () => {
  const { predicted, live } = objects();
  assert.equal(removeWebhookMutations(predicted, live, "someone-else"), predicted);
});

test("includeMutationWebhook counts the webhook's changes", () => {
  assert.deepEqual(compareObject(objects()).fields, ["/data/onlyLive"]);
  assert.deepEqual(compareObject({ ...objects(), includeMutationWebhook: true }).fields, [
    "/data/injected",
    "/data/onlyLive",
    "/data/stamp",
  ]);
});

test("an atomic field owned whole (childless node) keeps its predicted subtree", () => {
  const managedFields = [{ manager: "tether", fieldsV1: { "f:spec": { "f:selector": {} } } }];
  const predicted = {
    metadata: { managedFields },
    spec: { selector: { matchLabels: { app: "b" } }, other: 1 },
  };
  const live = { metadata: { managedFields }, spec: { selector: { matchLabels: { app: "a" } }, other: 2 } };
  assert.deepEqual(removeWebhookMutations(predicted, live, "tether").spec, {
    selector: { matchLabels: { app: "b" } },
    other: 2,
  });
});

test("named list items are paired by name, so reordering does not mix up live values", () => {
  const managedFields = [
    {
      manager: "tether",
      fieldsV1: {
        "f:spec": { "f:containers": { 'k:{"name":"b"}': { ".": {}, "f:name": {}, "f:image": {} } } },
      },
    },
  ];
  const predicted = {
    metadata: { managedFields },
    spec: {
      containers: [
        { name: "a", image: "a:2", policy: "P" },
        { name: "b", image: "b:1", policy: "P" },
      ],
    },
  };
  const live = {
    metadata: { managedFields },
    spec: {
      containers: [
        { name: "b", image: "b:0", policy: "L" },
        { name: "a", image: "a:1", policy: "L" },
      ],
    },
  };
  assert.deepEqual(removeWebhookMutations(predicted, live, "tether").spec, {
    containers: [
      { name: "a", image: "a:1", policy: "L" },
      { name: "b", image: "b:1", policy: "L" },
    ],
  });
});

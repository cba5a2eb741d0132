import assert from "node:assert/strict";
import { test } from "node:test";
import YAML from "yaml";
import {
  type JsonObject,
  fieldsOwnedBy,
  formatFieldPath,
  locateFieldPath,
  parseFieldsV1,
} from "../../src/engine/diff/index.js";

// A managedFields list as the apiserver returns it for a Deployment applied by Tether and scaled
// by an HPA (scale subresource) and a controller writing status.
const live = YAML.parse(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  finalizers: [example.com/a, example.com/b]
  managedFields:
    - manager: tether
      operation: Apply
      apiVersion: apps/v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:labels:
            f:app: {}
        f:spec:
          f:template:
            f:spec:
              f:containers:
                k:{"name":"web"}:
                  .: {}
                  f:image: {}
                  f:name: {}
                  f:ports:
                    k:{"containerPort":8080,"protocol":"TCP"}:
                      .: {}
                      f:containerPort: {}
    - manager: kube-controller-manager
      operation: Update
      subresource: scale
      fieldsType: FieldsV1
      fieldsV1:
        f:spec:
          f:replicas: {}
    - manager: finalizer-bot
      operation: Update
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:finalizers:
            v:"example.com/b": {}
        f:spec:
          f:template:
            f:spec:
              f:containers:
                k:{"name":"web"}:
                  f:args:
                    i:1: {}
                  f:unknownThing:
                    x:weird: {}
spec:
  replicas: 5
  template:
    spec:
      containers:
        - name: sidecar
          image: envoy
        - name: web
          image: web:2
          args: [--a, --b]
          ports:
            - {containerPort: 9090, protocol: TCP}
            - {containerPort: 8080, protocol: TCP}
`) as JsonObject;

test("fieldsV1 parses into owned paths, with '.' marking an owned list item itself", () => {
  const managedFields = (live.metadata as { managedFields: { fieldsV1: unknown }[] }).managedFields;
  const tether = parseFieldsV1(managedFields[0]?.fieldsV1).map(formatFieldPath);
  assert.deepEqual(tether, [
    ".metadata.labels.app",
    '.spec.template.spec.containers[name="web"]',
    '.spec.template.spec.containers[name="web"].image',
    '.spec.template.spec.containers[name="web"].name',
    '.spec.template.spec.containers[name="web"].ports[containerPort=8080,protocol="TCP"]',
    '.spec.template.spec.containers[name="web"].ports[containerPort=8080,protocol="TCP"].containerPort',
  ]);
});

test("v: and i: elements parse; unknown element kinds drop their subtree", () => {
  const managedFields = (live.metadata as { managedFields: { fieldsV1: unknown }[] }).managedFields;
  assert.deepEqual(parseFieldsV1(managedFields[2]?.fieldsV1).map(formatFieldPath), [
    '.metadata.finalizers[="example.com/b"]',
    '.spec.template.spec.containers[name="web"].args[1]',
  ]);
  assert.deepEqual(parseFieldsV1(undefined), []);
  assert.deepEqual(parseFieldsV1({ "k:{not json": {} }), []);
});

test("fields owned by a set of managers come from metadata.managedFields", () => {
  assert.deepEqual(fieldsOwnedBy(live, ["kube-controller-manager"]).map(formatFieldPath), [".spec.replicas"]);
  assert.deepEqual(fieldsOwnedBy(live, []), []);
  assert.deepEqual(fieldsOwnedBy(undefined, ["x"]), []);
  assert.deepEqual(fieldsOwnedBy(live, ["nobody"]), []);
});

test("paths are located by key and value, whatever the list order", () => {
  const owned = fieldsOwnedBy(live, ["tether", "finalizer-bot"]);
  const located = owned.map((p) => locateFieldPath(live, p));
  assert.deepEqual(located, [
    undefined, // .metadata.labels.app: this object has no labels
    ["spec", "template", "spec", "containers", 1],
    ["spec", "template", "spec", "containers", 1, "image"],
    ["spec", "template", "spec", "containers", 1, "name"],
    ["spec", "template", "spec", "containers", 1, "ports", 1],
    ["spec", "template", "spec", "containers", 1, "ports", 1, "containerPort"],
    ["metadata", "finalizers", 1],
    ["spec", "template", "spec", "containers", 1, "args", 1],
  ]);
});

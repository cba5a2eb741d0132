// `tether server` flags: defaults of the shared interface, and every mistake a UsageError naming
// its flag (TLS needs both files; ports 0-65535).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UsageError } from "../../src/cli/errors.js";
import { parseServerFlags } from "../../src/cli/server.js";

const usage = (args: string[], flag: RegExp) =>
  assert.throws(
    () => parseServerFlags(args),
    (error: unknown) => error instanceof UsageError && flag.test(error.message),
  );

describe("tether server flags", () => {
  test("defaults", () => {
    assert.deepEqual(parseServerFlags([]), {
      kubeconfig: undefined,
      systemNamespace: "tether-system",
      namespace: undefined,
      host: "0.0.0.0",
      port: 8080,
      tls: undefined,
      secureCookies: false,
      publicAppMetrics: false,
      uiDir: undefined,
    });
  });

  test("every flag", () => {
    const flags = parseServerFlags([
      "--kubeconfig",
      "/k",
      "--system-namespace",
      "ops",
      "--namespace",
      "apps",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--tls-cert",
      "/c.pem",
      "--tls-key",
      "/k.pem",
      "--secure-cookies",
      "--public-app-metrics",
      "--ui-dir",
      "/ui",
    ]);
    assert.deepEqual(flags, {
      kubeconfig: "/k",
      systemNamespace: "ops",
      namespace: "apps",
      host: "127.0.0.1",
      port: 0,
      tls: { certFile: "/c.pem", keyFile: "/k.pem" },
      secureCookies: true,
      publicAppMetrics: true,
      uiDir: "/ui",
    });
  });

  test("mistakes name their flag", () => {
    usage(["--tls-cert", "/c.pem"], /^--tls-cert: needs --tls-key/);
    usage(["--tls-key", "/k.pem"], /^--tls-key: needs --tls-cert/);
    usage(["--port", "65536"], /^--port: "65536" is not a port number/);
    usage(["--port", "-1"], /--port/);
    usage(["--port", "http"], /^--port: "http"/);
    usage(["--system-namespace", "Tether"], /^--system-namespace: "Tether" is not a valid namespace name/);
    usage(["--namespace", ""], /^--namespace: "" is not a valid namespace name/);
    usage(["--host", ""], /^--host: must not be empty/);
    usage(["--verbose"], /--verbose/);
    usage(["extra"], /extra/);
  });
});

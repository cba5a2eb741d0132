// `tether server`: the API, web UI, POST /api/webhook and /metrics, without a controller, until
// SIGINT/SIGTERM; then it stops cleanly (exit 0). Stateless: every piece of state lives in the
// system namespace's Secrets and ConfigMaps, so any number of replicas behave as one. In-cluster it
// uses its ServiceAccount; next to a cluster, a kubeconfig. Logs as `tether controller` does.
// It never prints the initial admin password: a Pod's log is read by more people than the Secret.
import fs from "node:fs/promises";
import path from "node:path";
import { createSecureContext } from "node:tls";
import { parseArgs } from "node:util";
import { startServer } from "../api/serve.js";
import type { TlsKeyPair } from "../api/server.js";
import { DEFAULT_UI_DIR } from "../api/static.js";
import { kubeClients } from "../kube/client.js";
import { UsageError } from "./errors.js";
import { namespaceName } from "./flags.js";
import { commandKubeConfig } from "./kubeconfig.js";
import { timestampedLog as log } from "./log.js";
import { shutdownSignal } from "./signals.js";
import { errorMessage } from "../lib/errormessage.js";

export const SERVER_USAGE = `Usage: tether server [flags]

Flags:
  --kubeconfig FILE        kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --system-namespace NS    Tether's own namespace: accounts, sessions, RBAC, webhook secrets
                           (default: tether-system)
  --namespace NS           serve Applications in this namespace only (default: all namespaces)
  --host ADDR              address to listen on (default: 0.0.0.0)
  --port N                 port to listen on; 0 picks a free one (default: 8080)
  --tls-cert FILE          PEM certificate (chain): serve HTTPS (needs --tls-key)
  --tls-key FILE           PEM private key of --tls-cert
  --secure-cookies         Secure, __Host- session cookies, for a TLS-terminating Ingress in front
                           (implied by --tls-cert)
  --public-app-metrics     per-app series on /metrics for callers without credentials
  --ui-dir DIR             the built web UI (default: dist/ui next to the compiled code)
`;

export interface ServerFlags {
  readonly kubeconfig?: string;
  readonly systemNamespace: string;
  readonly namespace?: string;
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly secureCookies: boolean;
  readonly publicAppMetrics: boolean;
  readonly uiDir?: string;
}

/** A stop that takes longer than this is abandoned: the Pod's grace period (30 s) must not run out. */
const STOP_TIMEOUT_MS = 10_000;
/** After the stop, what still holds the event loop (an idle keep-alive socket) may hold it this long. */
const EXIT_GRACE_MS = 2_000;

function listenPort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > 65535)
    throw new UsageError(`--port: "${value}" is not a port number (0-65535; 0 picks a free port)`);
  return n;
}

export function parseServerFlags(args: readonly string[]): ServerFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: "string" },
        "system-namespace": { type: "string", default: "tether-system" },
        namespace: { type: "string" },
        host: { type: "string", default: "0.0.0.0" },
        port: { type: "string", default: "8080" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "secure-cookies": { type: "boolean", default: false },
        "public-app-metrics": { type: "boolean", default: false },
        "ui-dir": { type: "string" },
      },
    }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--foo'", "Option '--port <value>' argument missing").
    throw new UsageError(`server: ${errorMessage(error)}`);
  }
  for (const flag of ["kubeconfig", "host", "tls-cert", "tls-key", "ui-dir"] as const) {
    if (values[flag] === "") throw new UsageError(`--${flag}: must not be empty`);
  }
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if (certFile !== undefined && keyFile === undefined)
    throw new UsageError("--tls-cert: needs --tls-key (the certificate's private key)");
  if (keyFile !== undefined && certFile === undefined)
    throw new UsageError("--tls-key: needs --tls-cert (the certificate the key belongs to)");
  return {
    kubeconfig: values.kubeconfig,
    systemNamespace: namespaceName("--system-namespace", values["system-namespace"]) ?? "tether-system",
    namespace: namespaceName("--namespace", values.namespace),
    host: values.host,
    port: listenPort(values.port),
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    secureCookies: values["secure-cookies"],
    publicAppMetrics: values["public-app-metrics"],
    uiDir: values["ui-dir"],
  };
}

async function readPem(flag: string, file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new Error(`${flag}: cannot read ${file}: ${errorMessage(error)}`);
  }
}

/** Reads the key pair and checks it now, so a bad file is named rather than failing inside node:https. */
export async function readTlsKeyPair(tls: { certFile: string; keyFile: string }): Promise<TlsKeyPair> {
  const pair = {
    cert: await readPem("--tls-cert", tls.certFile),
    key: await readPem("--tls-key", tls.keyFile),
  };
  try {
    createSecureContext(pair);
  } catch (error) {
    const reason = errorMessage(error);
    throw new Error(
      `--tls-cert ${tls.certFile}, --tls-key ${tls.keyFile}: not a PEM certificate and its private key: ${reason}`,
    );
  }
  return pair;
}

async function describeUi(dir: string): Promise<string> {
  const built = await fs.access(path.join(dir, "index.html")).then(
    () => true,
    () => false,
  );
  return built ? `web UI from ${dir}` : `no web UI at ${dir} (no index.html; pages answer 404)`;
}

async function within<T>(ms: number, work: Promise<T>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([work.then(() => true), timeout]);
  clearTimeout(timer);
  return done;
}

export async function serverCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(SERVER_USAGE);
    return 0;
  }
  const flags = parseServerFlags(args);
  // Listen before anything slow: a SIGTERM during startup must still end in a clean stop.
  const signal = shutdownSignal(log);
  try {
    return await serve(flags, signal);
  } finally {
    // A stopped (or failed) server's Pod must end even if an idle socket or a reconnecting watch
    // holds the event loop.
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  }
}

async function serve(flags: ServerFlags, signal: Promise<NodeJS.Signals>): Promise<number> {
  const tls = flags.tls ? await readTlsKeyPair(flags.tls) : undefined;
  const config = commandKubeConfig(flags.kubeconfig);
  const uiDir = flags.uiDir ?? DEFAULT_UI_DIR;
  log(
    `starting: server ${config.getCurrentCluster()?.server ?? "?"}, applications in ${flags.namespace ?? "all namespaces"}, ` +
      `system namespace ${flags.systemNamespace}, ${tls ? "TLS" : "plain HTTP"}${flags.secureCookies || tls ? ", secure cookies" : ""}, ` +
      (await describeUi(uiDir)),
  );
  const server = await startServer({
    clients: kubeClients(config),
    systemNamespace: flags.systemNamespace,
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    host: flags.host,
    port: flags.port,
    ...(tls ? { tls } : {}),
    secureCookies: flags.secureCookies,
    publicAppMetrics: flags.publicAppMetrics,
    uiDir,
    log,
  });
  log(`listening on ${server.url}`);
  const received = await signal;
  log(`${received}: stopping (no new connections; open event streams end)`);
  const stopped = await within(STOP_TIMEOUT_MS, server.close());
  log(stopped ? "stopped" : `the stop did not finish within ${STOP_TIMEOUT_MS / 1000}s: exiting anyway`);
  return stopped ? 0 : 1;
}

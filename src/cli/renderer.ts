// `tether renderer`: serves renders on a Unix socket for a controller, and holds no cluster
// credentials — it refuses to start if it can read a service-account token or finds one in its
// environment. In a pod it is the `renderer` container (deploy/deployment.yaml); next to a cluster
// the controller starts it as a child (--exit-with-parent) with a scrubbed environment.
import path from "node:path";
import { parseArgs } from "node:util";
import { localRenderBackend } from "../engine/render/index.js";
import { heldCredentials } from "../engine/render/remote/credentials.js";
import { serveRenderer } from "../engine/render/remote/server.js";
import type { ExplicitBinary } from "./toolbinaries.js";
import { explicitBinary, toolBinary } from "./toolbinaries.js";
import { UsageError } from "./errors.js";
import { shutdownSignal } from "./signals.js";
import { errorMessage } from "../lib/errormessage.js";

export const RENDERER_USAGE = `Usage: tether renderer --socket PATH [flags]

Renders Git trees (directory, Kustomize, Helm, SOPS) for a controller that connects to PATH
(tether controller --renderer-socket PATH). Holds no cluster credentials: it refuses to start when
it can read a service-account token or its environment holds a kubeconfig, token or password.

Flags:
  --socket PATH         Unix socket to listen on (a stale socket there is replaced)
  --helm PATH           helm binary (default: $TETHER_HELM, else built into the local cache)
  --kustomize PATH      kustomize binary (default: $TETHER_KUSTOMIZE, else built into the local cache)
  --exit-with-parent    stop when stdin closes, ignore SIGINT/SIGTERM (a controller's child renderer)
`;

export interface RendererFlags {
  readonly socket: string;
  readonly helm?: ExplicitBinary;
  readonly kustomize?: ExplicitBinary;
  readonly exitWithParent: boolean;
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

export function parseRendererFlags(args: readonly string[], env: NodeJS.ProcessEnv): RendererFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        socket: { type: "string" },
        helm: { type: "string" },
        kustomize: { type: "string" },
        "exit-with-parent": { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`renderer: ${errorMessage(error)}`);
  }
  if (!values.socket) throw new UsageError("--socket: required (the Unix socket the controller connects to)");
  for (const flag of ["helm", "kustomize"] as const)
    if (values[flag] === "") throw new UsageError(`--${flag}: must not be empty`);
  return {
    socket: path.resolve(values.socket),
    helm: explicitBinary("--helm", values.helm, "TETHER_HELM", env),
    kustomize: explicitBinary("--kustomize", values.kustomize, "TETHER_KUSTOMIZE", env),
    exitWithParent: values["exit-with-parent"],
  };
}

export async function rendererCommand(args: readonly string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(RENDERER_USAGE);
    return 0;
  }
  const env = process.env;
  const flags = parseRendererFlags(args, env);
  const held = await heldCredentials(env);
  if (held.length > 0) {
    throw new Error(
      `refusing to render with cluster credentials at hand (${held.join(", ")}): run the renderer without them ` +
        "(in a pod: no service-account token in the renderer container, see deploy/deployment.yaml)",
    );
  }
  const stop = flags.exitWithParent
    ? new Promise<string>((resolve) => {
        // The controller decides when its child stops: a terminal's Ctrl-C reaches the whole
        // process group, and renders still running in the controller's stop must get answers.
        process.on("SIGINT", () => undefined);
        process.on("SIGTERM", () => undefined);
        process.stdin.on("end", () => resolve("stdin closed"));
        process.stdin.on("error", () => resolve("stdin closed"));
        process.stdin.resume();
      })
    : shutdownSignal(log);
  const helmBinary = await toolBinary("helm", flags.helm, env);
  const kustomizeBinary = await toolBinary("kustomize", flags.kustomize, env);
  const server = await serveRenderer({
    socketPath: flags.socket,
    backend: localRenderBackend({ helmBinary, kustomizeBinary }),
    log,
  });
  // The ready line a parent controller waits for (stdout; logs go to stderr).
  process.stdout.write(`listening on ${server.socketPath}\n`);
  log(`renderer: uid ${process.getuid?.() ?? "?"}, helm ${helmBinary}, kustomize ${kustomizeBinary}`);
  const why = await stop;
  log(`${why}: stopping`);
  await server.close();
  return 0;
}

// `tether` command line. Exit codes: 0 success, 1 failure, 2 usage error, 3 wait timeout,
// 4 import: converted with fields dropped.
// Commands are imported when run: `tether app list` need not load the controller and local cluster.
import { EXIT_CODES } from "./app/usage.js";
import { UsageError } from "./errors.js";
import { errorMessage } from "../lib/errormessage.js";

const USAGE = `Usage: tether <command>

Commands:
  local up       Start a local control plane (etcd, kube-apiserver, controller-manager, scheduler,
                 kwok fake nodes) and a Git server; stays in the foreground until Ctrl-C. Resumes the
                 kept cluster (Ctrl-C or a crash keeps it); --purge starts an empty one.
  local down     Stop a running \`tether local up\` and delete the kept cluster (--keep: only stop).
  local status   Show whether the local environment runs and how to reach it.
  local build    Build and cache the control-plane, helm and kustomize binaries.
  controller     Run the GitOps controller until SIGINT/SIGTERM (\`tether controller --help\` for flags).
  server         Serve the API, web UI, webhooks and /metrics from the cluster's state, without a
                 controller, until SIGINT/SIGTERM (\`tether server --help\` for flags).
  renderer       Serve renders on a Unix socket, without cluster credentials (\`tether renderer --help\`).
  login          Log in to an API server; keeps the session in the config file (\`tether login --help\`).
  account        Local accounts: update-password, list (\`tether account --help\`).
  app            Applications: list, get, diff, sync, refresh, history, rollback, wait, create, delete
                 (\`tether app --help\`), through the API server or, with --core, the kubeconfig.
  cluster list   Clusters Tether deploys to, with connection status and version (\`tether cluster --help\`).
  import         Convert Argo CD or Flux manifests to Tether objects (\`tether import --help\`).
  bootstrap      Install Tether into a cluster and have it manage its own configuration from Git
                 (\`tether bootstrap --help\`).
  promote        Carry image tags/values from one environment's overlay to the next as a Git commit;
                 \`promote history APP\` lists past promotions (\`tether promote --help\`).
  --version      Print Tether's version.

${EXIT_CODES}`;

async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === "local") return (await import("./local.js")).localCommand(rest);
  if (group === "controller") return (await import("./controller.js")).controllerCommand(rest);
  if (group === "server") return (await import("./server.js")).serverCommand(rest);
  if (group === "renderer") return (await import("./renderer.js")).rendererCommand(rest);
  if (group === "login") return (await import("./login.js")).loginCommand(rest);
  if (group === "account") return (await import("./account.js")).accountCommand(rest);
  if (group === "app") return (await import("./app/command.js")).appCommand(rest);
  if (group === "cluster") return (await import("./cluster/command.js")).clusterCommand(rest);
  if (group === "import") return (await import("./import.js")).importCommand(rest);
  if (group === "bootstrap") return (await import("./bootstrap.js")).bootstrapCommand(rest);
  if (group === "promote") return (await import("./promote.js")).promoteCommand(rest);
  if (group === "--version" || group === "version") {
    process.stdout.write(`tether ${(await import("./version.js")).tetherVersion()}\n`);
    return 0;
  }
  if (group === undefined || group === "help" || group === "--help" || group === "-h") {
    process.stdout.write(USAGE);
    return group === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command "${group}"`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`tether: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`tether: ${errorMessage(error)}\n`);
      process.exitCode = 1;
    }
  },
);

// `tether cluster list`: the clusters Tether deploys to, with their connection status, through
// the same Backend as `tether app` (the API server, or the kubeconfig with --core).
import { BackendError, UnreachableError } from "../client/backend.js";
import { connect } from "../client/connect.js";
import { UsageError } from "../errors.js";
import { parse, parseOutput, positionals } from "../app/args.js";
import { EXIT_CODES } from "../app/usage.js";
import { formatClusters } from "./format.js";

export const CLUSTER_USAGE = `Usage: tether cluster list [flags]

  list    In-cluster and every cluster Secret (labelled tether.dev/secret-type=cluster or
          argocd.argoproj.io/secret-type=cluster in the system namespace): name, server, connection
          status (Successful/Failed), message, server version, last check. -o table|wide|json|yaml

Flags: --server URL, --token TOKEN, --core, --kubeconfig FILE (as for \`tether app\`),
       --system-namespace NS (with --core: where the cluster Secrets are; default tether-system)

${EXIT_CODES}`;

export async function clusterCommand(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (
    command === undefined ||
    command === "help" ||
    command === "--help" ||
    command === "-h" ||
    args.includes("--help") ||
    args.includes("-h")
  ) {
    process.stdout.write(CLUSTER_USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command !== "list") throw new UsageError(`unknown cluster command "${command}"`);
    const { values, positionals: rest } = parse(args, {
      output: { type: "string", short: "o" },
      "system-namespace": { type: "string" },
    });
    positionals(rest, []);
    const output = parseOutput(values.output);
    const connection = await connect(values);
    if (connection.note) process.stderr.write(`tether: ${connection.note}\n`);
    try {
      process.stdout.write(formatClusters(await connection.backend.clusters(), output));
      return 0;
    } finally {
      connection.backend.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tether cluster ${command}: ${error.message}\n\n${CLUSTER_USAGE}`);
      return 2;
    }
    if (error instanceof BackendError || error instanceof UnreachableError) {
      process.stderr.write(`tether: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

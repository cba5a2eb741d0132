// `tether import argocd|flux -f FILE`: prints the Tether objects on stdout (ready for
// `kubectl apply -f -`) and, on stderr, every field it could not carry over and why.
// Exit codes: 0 everything mapped (notes may be printed), 4 something was dropped, 1/2 as elsewhere.
import fs from "node:fs/promises";
import { parseArgs } from "node:util";
import { convert, formatMessage, printObjects } from "../import/index.js";
import { UsageError } from "./errors.js";

export const EXIT_DROPPED = 4;

export const IMPORT_USAGE = `Usage: tether import argocd|flux -f FILE [-o yaml|json] [--namespace NS] [--system-namespace NS]

Converts Argo CD (Application, AppProject, ApplicationSet) or Flux (Kustomization, HelmRelease with
their GitRepository, HelmRepository, OCIRepository) manifests to Tether objects, printed on stdout.
Every field that could not be carried over is printed on stderr with the reason; "note:" lines are
fields Tether covers another way (nothing lost).

Flags:
  -f, --filename FILE     YAML or JSON, several documents or a List; "-" reads stdin
  -o, --output FORMAT     yaml (default) or json (a v1 List)
  --namespace NS          namespace of every Application/ApplicationSet (default: argocd and
                          flux-system become the system namespace, other namespaces are kept)
  --system-namespace NS   Tether's system namespace, where AppProjects go (default tether-system)

Exit codes: 0 everything converted, 4 converted with something dropped (see stderr), 1 failure
(unreadable file, invalid YAML), 2 usage.
`;

async function readInput(file: string): Promise<string> {
  if (file !== "-") return fs.readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function importCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        filename: { type: "string", short: "f" },
        output: { type: "string", short: "o" },
        namespace: { type: "string" },
        "system-namespace": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(IMPORT_USAGE);
    return 0;
  }
  const tool = positionals[0];
  if (positionals.length !== 1 || (tool !== "argocd" && tool !== "flux")) {
    throw new UsageError(`import needs one of argocd, flux (got ${positionals.join(" ") || "none"})`);
  }
  if (!values.filename) throw new UsageError("import needs -f FILE (tether import --help)");
  const output = values.output ?? "yaml";
  if (output !== "yaml" && output !== "json")
    throw new UsageError(`--output must be yaml or json, not "${output}"`);
  const result = convert(tool, await readInput(values.filename), {
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values["system-namespace"] ? { systemNamespace: values["system-namespace"] } : {}),
  });
  process.stdout.write(printObjects(result.objects, output));
  for (const message of result.messages) process.stderr.write(`${formatMessage(message)}\n`);
  const dropped = result.messages.filter((m) => m.severity === "dropped").length;
  if (dropped > 0) {
    process.stderr.write(
      `tether import: ${dropped} field(s) not converted (listed above); exit code ${EXIT_DROPPED}\n`,
    );
    return EXIT_DROPPED;
  }
  return 0;
}

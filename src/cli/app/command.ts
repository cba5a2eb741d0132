// `tether app …`: parse, connect (API server or kubeconfig), call the Backend, print.
import type { AppRef, Backend } from "../client/backend.js";
import { BackendError, UnreachableError } from "../client/backend.js";
import type { Connection } from "../client/connect.js";
import { connect } from "../client/connect.js";
import { UsageError } from "../errors.js";
import {
  parse,
  parseBool,
  parseDuration,
  parseHistoryId,
  parseOutput,
  parseResource,
  positionals,
} from "./args.js";
import { buildApplication, readManifest } from "./create.js";
import { formatDetail, formatDiff, formatHistory, formatList, formatTree } from "./format.js";
import { APP_USAGE } from "./usage.js";
import type { WaitWant } from "./wait.js";
import { progressPrinter, waitForApp } from "./wait.js";

export const EXIT = { ok: 0, failure: 1, usage: 2, timeout: 3 } as const;

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);

/** NAME or NAMESPACE/NAME → a ref; a bare name is found by listing (it must be unique). */
async function resolve(connection: Connection, text: string): Promise<AppRef> {
  const slash = text.indexOf("/");
  if (slash >= 0) return { namespace: text.slice(0, slash), name: text.slice(slash + 1) };
  if (connection.appNamespace) return { namespace: connection.appNamespace, name: text };
  const found = (await connection.backend.list()).filter((a) => a.name === text);
  if (found.length === 0) throw new BackendError(404, "not_found", `application ${text} not found`);
  if (found.length > 1) {
    throw new UsageError(
      `application name ${text} is ambiguous (${found.map((a) => `${a.namespace}/${a.name}`).join(", ")}): give NAMESPACE/NAME`,
    );
  }
  const [only] = found;
  return { namespace: only?.namespace ?? "", name: text };
}

const WAIT_OPTIONS = {
  sync: { type: "boolean" },
  health: { type: "boolean" },
  timeout: { type: "string" },
} as const;

async function wait(
  backend: Backend,
  ref: AppRef,
  want: WaitWant,
  timeout: string | undefined,
): Promise<number> {
  const printer = progressPrinter(process.stdout);
  const result = await waitForApp(backend, ref, want, {
    timeoutMs: parseDuration(timeout ?? "5m"),
    progress: printer.update,
  }).finally(printer.end);
  const target = [want.sync ? "Synced" : "", want.health ? "Healthy" : ""].filter(Boolean).join(" and ");
  if (result.kind === "done") {
    out(`${ref.namespace}/${ref.name} is ${target}\n`);
    return EXIT.ok;
  }
  if (result.kind === "failed") {
    err(`tether: ${ref.namespace}/${ref.name}: ${result.reason}\n`);
    return EXIT.failure;
  }
  err(`tether: timed out waiting for ${ref.namespace}/${ref.name} to be ${target} (${result.reason})\n`);
  return EXIT.timeout;
}

async function run(command: string, args: string[]): Promise<number> {
  const withConnection = async (
    values: Parameters<typeof connect>[0],
    work: (c: Connection) => Promise<number>,
  ) => {
    const connection = await connect(values);
    if (connection.note) err(`tether: ${connection.note}\n`);
    try {
      return await work(connection);
    } finally {
      connection.backend.close();
    }
  };

  switch (command) {
    case "list": {
      const { values, positionals: rest } = parse(args, {
        output: { type: "string", short: "o" },
        project: { type: "string" },
        sync: { type: "string" },
        health: { type: "string" },
        label: { type: "string", multiple: true, short: "l" },
      });
      positionals(rest, []);
      const output = parseOutput(values.output);
      return withConnection(values, async ({ backend }) => {
        const filter = {
          ...(values.project ? { project: values.project } : {}),
          ...(values.sync ? { sync: values.sync } : {}),
          ...(values.health ? { health: values.health } : {}),
          labels: values.label ?? [],
        };
        out(formatList(await backend.list(filter), output));
        return EXIT.ok;
      });
    }
    case "get": {
      const { values, positionals: rest } = parse(args, {
        output: { type: "string", short: "o" },
        tree: { type: "boolean" },
      });
      const [name] = positionals(rest, ["app"]);
      const output = parseOutput(values.output);
      return withConnection(values, async (c) => {
        const ref = await resolve(c, name ?? "");
        out(formatDetail(await c.backend.get(ref), output));
        if (values.tree) out(`\n${formatTree(await c.backend.tree(ref))}`);
        return EXIT.ok;
      });
    }
    case "diff": {
      const { values, positionals: rest } = parse(args, {});
      const [name] = positionals(rest, ["app"]);
      return withConnection(values, async (c) => {
        const diff = await c.backend.diff(await resolve(c, name ?? ""));
        out(formatDiff(diff));
        return diff.resources.length > 0 ? EXIT.failure : EXIT.ok;
      });
    }
    case "sync": {
      const { values, positionals: rest } = parse(args, {
        prune: { type: "boolean" },
        "dry-run": { type: "boolean" },
        resource: { type: "string", multiple: true },
        wait: { type: "boolean" },
        timeout: { type: "string" },
      });
      const [name] = positionals(rest, ["app"]);
      const resources = (values.resource ?? []).map(parseResource);
      if (values.timeout) parseDuration(values.timeout);
      return withConnection(values, async (c) => {
        const ref = await resolve(c, name ?? "");
        const request = {
          ...(values.prune ? { prune: true } : {}),
          ...(values["dry-run"] ? { dryRun: true } : {}),
          ...(resources.length ? { resources } : {}),
        };
        const diff = await c.backend.sync(ref, request);
        if (diff) {
          out(formatDiff(diff));
          return EXIT.ok;
        }
        out(`sync of ${ref.namespace}/${ref.name} requested\n`);
        return values.wait ? wait(c.backend, ref, { sync: true, health: true }, values.timeout) : EXIT.ok;
      });
    }
    case "refresh": {
      const { values, positionals: rest } = parse(args, { hard: { type: "boolean" } });
      const [name] = positionals(rest, ["app"]);
      return withConnection(values, async (c) => {
        const ref = await resolve(c, name ?? "");
        await c.backend.refresh(ref, values.hard ?? false);
        out(`${values.hard ? "hard " : ""}refresh of ${ref.namespace}/${ref.name} requested\n`);
        return EXIT.ok;
      });
    }
    case "history": {
      const { values, positionals: rest } = parse(args, { output: { type: "string", short: "o" } });
      const [name] = positionals(rest, ["app"]);
      const output = parseOutput(values.output);
      return withConnection(values, async (c) => {
        out(formatHistory(await c.backend.history(await resolve(c, name ?? "")), output));
        return EXIT.ok;
      });
    }
    case "rollback": {
      const { values, positionals: rest } = parse(args, {});
      const [name, idText] = positionals(rest, ["app", "id"]);
      const id = parseHistoryId(idText);
      return withConnection(values, async (c) => {
        const ref = await resolve(c, name ?? "");
        await c.backend.rollback(ref, id);
        out(
          id === "cancel"
            ? `${ref.namespace}/${ref.name} follows Git again\n`
            : `rollback of ${ref.namespace}/${ref.name} to history entry ${id} requested\n`,
        );
        return EXIT.ok;
      });
    }
    case "wait": {
      const { values, positionals: rest } = parse(args, WAIT_OPTIONS);
      const [name] = positionals(rest, ["app"]);
      if (values.timeout) parseDuration(values.timeout);
      const neither = !values.sync && !values.health;
      const want = { sync: neither || (values.sync ?? false), health: neither || (values.health ?? false) };
      return withConnection(values, async (c) =>
        wait(c.backend, await resolve(c, name ?? ""), want, values.timeout),
      );
    }
    case "delete": {
      const { values, positionals: rest } = parse(args, {
        cascade: { type: "string" },
        wait: { type: "boolean" },
        timeout: { type: "string" },
      });
      const [name] = positionals(rest, ["app"]);
      const cascade = parseBool("cascade", values.cascade, true);
      const timeoutMs = parseDuration(values.timeout ?? "5m");
      return withConnection(values, async (c) => {
        const ref = await resolve(c, name ?? "");
        await c.backend.remove(ref, cascade);
        out(`deletion of ${ref.namespace}/${ref.name} requested (cascade=${String(cascade)})\n`);
        if (!values.wait) return EXIT.ok;
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          try {
            await c.backend.get(ref);
          } catch (error) {
            if (error instanceof BackendError && error.status === 404) break;
            throw error;
          }
          if (Date.now() >= deadline) {
            err(`tether: timed out waiting for ${ref.namespace}/${ref.name} to be deleted\n`);
            return EXIT.timeout;
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
        out(`${ref.namespace}/${ref.name} deleted\n`);
        return EXIT.ok;
      });
    }
    case "create": {
      const { values, positionals: rest } = parse(args, {
        file: { type: "string", short: "f" },
        repo: { type: "string" },
        path: { type: "string" },
        revision: { type: "string" },
        "dest-namespace": { type: "string" },
        "dest-server": { type: "string" },
        project: { type: "string" },
        label: { type: "string", multiple: true, short: "l" },
        "auto-sync": { type: "boolean" },
        prune: { type: "boolean" },
        "self-heal": { type: "boolean" },
        output: { type: "string", short: "o" },
      });
      if (rest.length > 1) positionals(rest, ["name"]);
      const output = values.output ? parseOutput(values.output) : undefined;
      const file = values.file ? await readManifest(values.file) : {};
      const appNamespace = values["app-namespace"] ?? (process.env["TETHER_APP_NAMESPACE"] || undefined);
      const body = buildApplication(file, {
        ...(rest[0] ? { name: rest[0] } : {}),
        ...(appNamespace ? { namespace: appNamespace } : {}),
        ...(values.project ? { project: values.project } : {}),
        ...(values.repo ? { repo: values.repo } : {}),
        ...(values.path ? { path: values.path } : {}),
        ...(values.revision ? { revision: values.revision } : {}),
        ...(values["dest-namespace"] ? { destNamespace: values["dest-namespace"] } : {}),
        ...(values["dest-server"] ? { destServer: values["dest-server"] } : {}),
        autoSync: values["auto-sync"] ?? false,
        prune: values.prune ?? false,
        selfHeal: values["self-heal"] ?? false,
        labels: values.label ?? [],
      });
      return withConnection(values, async ({ backend }) => {
        const created = await backend.create(body);
        out(
          output
            ? formatDetail(created, output)
            : `application ${created.namespace}/${created.name} created\n`,
        );
        return EXIT.ok;
      });
    }
    default:
      throw new UsageError(`unknown app command "${command}"`);
  }
}

/** Entry point from main.ts. Usage errors print the app usage (exit 2); Tether's errors exit 1. */
export async function appCommand(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (
    command === undefined ||
    command === "help" ||
    command === "--help" ||
    command === "-h" ||
    args.includes("--help") ||
    args.includes("-h")
  ) {
    out(APP_USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    return await run(command, args);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`tether app ${command}: ${error.message}\n\n${APP_USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof BackendError) {
      // The field on a line of its own: the API names it (spec.source.repoURL…), scripts can grep it.
      err(`tether: ${error.message}\n${error.field ? `  field: ${error.field}\n` : ""}`);
      return EXIT.failure;
    }
    if (error instanceof UnreachableError) {
      err(`tether: ${error.message}\n`);
      return EXIT.failure;
    }
    throw error;
  }
}

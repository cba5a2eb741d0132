// Certificates for the local control plane, made with the openssl CLI (Node can make keys but
// not X.509 certificates). One CA signs everything; identities follow Kubernetes' conventions
// so the built-in RBAC bindings apply (system:kube-controller-manager, system:kube-scheduler)
// and the admin is in system:masters.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface ClusterPki {
  readonly dir: string;
  readonly ca: CertPair;
  /** Serving certificate for kube-apiserver, kube-controller-manager and kube-scheduler. */
  readonly serving: CertPair;
  readonly admin: CertPair;
  readonly controllerManager: CertPair;
  readonly scheduler: CertPair;
  /** Key pair that signs and verifies ServiceAccount tokens. */
  readonly serviceAccount: { readonly key: string; readonly pub: string };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed: ${stderr.trim() || String(error)}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function signedPair(
  dir: string,
  ca: CertPair,
  name: string,
  subject: string,
  extensions: string[],
): Promise<CertPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await openssl(["req", "-new", ...EC_KEY, "-keyout", pair.key, "-out", csr, "-subj", subject]);
  await fs.writeFile(ext, extensions.join("\n") + "\n");
  const serial = `0x${randomBytes(16).toString("hex")}`;
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
    "-set_serial",
    serial,
    "-days",
    "365",
    "-out",
    pair.cert,
    "-extfile",
    ext,
  ]);
  await Promise.all([fs.rm(csr), fs.rm(ext)]);
  return pair;
}

const CLIENT = ["keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth"];

/** Creates a fresh PKI in `dir`. `serviceIP` is the first IP of the service range (kubernetes.default). */
export async function createPki(dir: string, serviceIP: string): Promise<ClusterPki> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: path.join(dir, "ca.crt"), key: path.join(dir, "ca.key") };
  await openssl([
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    ca.key,
    "-out",
    ca.cert,
    "-days",
    "3650",
    "-subj",
    "/CN=tether-local-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  const leaves = await signLeaves(dir, ca, serviceIP);
  const serviceAccount = { key: path.join(dir, "sa.key"), pub: path.join(dir, "sa.pub") };
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    serviceAccount.key,
  ]);
  await openssl(["pkey", "-in", serviceAccount.key, "-pubout", "-out", serviceAccount.pub]);
  return { dir, ca, ...leaves, serviceAccount };
}

/** Signs the apiserver's serving certificate and the client certificates (valid 365 days). */
async function signLeaves(dir: string, ca: CertPair, serviceIP: string) {
  const sans = [
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
    "IP:127.0.0.1",
    `IP:${serviceIP}`,
  ];
  const [serving, admin, controllerManager, scheduler] = await Promise.all([
    signedPair(dir, ca, "serving", "/CN=tether-local-apiserver", [
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${sans.join(",")}`,
    ]),
    signedPair(dir, ca, "admin", "/O=system:masters/CN=tether-admin", CLIENT),
    signedPair(dir, ca, "kube-controller-manager", "/CN=system:kube-controller-manager", CLIENT),
    signedPair(dir, ca, "kube-scheduler", "/CN=system:kube-scheduler", CLIENT),
  ]);
  return { serving, admin, controllerManager, scheduler };
}

/** True if `cert` is still valid a week from now. */
async function validForAWeek(cert: string): Promise<boolean> {
  try {
    await run("openssl", ["x509", "-checkend", String(7 * 24 * 3600), "-noout", "-in", cert], {
      timeout: 30_000,
    });
    return true;
  } catch {
    return false;
  }
}

/** Where createPki puts each file of the PKI in `dir`. */
function pkiFiles(dir: string): ClusterPki {
  const pair = (name: string) => ({
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
  });
  return {
    dir,
    ca: pair("ca"),
    serving: pair("serving"),
    admin: pair("admin"),
    controllerManager: pair("kube-controller-manager"),
    scheduler: pair("kube-scheduler"),
    serviceAccount: { key: path.join(dir, "sa.key"), pub: path.join(dir, "sa.pub") },
  };
}

/**
 * The PKI already in `dir` when every file of it is there (a resumed cluster keeps its CA, so
 * kubeconfigs stay valid, and its ServiceAccount key, so issued tokens do); otherwise a fresh one.
 */
export async function loadOrCreatePki(dir: string, serviceIP: string): Promise<ClusterPki> {
  const existing = pkiFiles(dir);
  const files = [
    existing.ca,
    existing.serving,
    existing.admin,
    existing.controllerManager,
    existing.scheduler,
  ]
    .flatMap((p) => [p.cert, p.key])
    .concat(existing.serviceAccount.key, existing.serviceAccount.pub);
  const checks = await Promise.allSettled(files.map((file) => fs.access(file)));
  if (!checks.every((check) => check.status === "fulfilled")) return createPki(dir, serviceIP);
  // A kept cluster can outlive its leaf certificates (365 days); the CA (10 years) and the
  // ServiceAccount key stay, so kubeconfigs are rewritten anyway and issued tokens stay valid.
  const leaves = [existing.serving, existing.admin, existing.controllerManager, existing.scheduler];
  if ((await Promise.all(leaves.map((pair) => validForAWeek(pair.cert)))).every(Boolean)) return existing;
  if (!(await validForAWeek(existing.ca.cert))) return createPki(dir, serviceIP);
  return { ...existing, ...(await signLeaves(dir, existing.ca, serviceIP)) };
}

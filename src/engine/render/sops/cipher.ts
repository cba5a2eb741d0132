// The value layer of the SOPS format (getsops/sops v3 `aes/cipher.go` and `sops.go`), pure:
//   ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes|time>]
// AES-256-GCM with the file's data key, the IV as written (sops uses 32 bytes) and, as additional
// data, the value's path joined with ":" plus a trailing ":" (the MAC uses `lastmodified`).
// Errors never carry a value, plaintext or ciphertext: only what went wrong and where.
import { createDecipheriv } from "node:crypto";

// No `.+` between the commas: four of them backtrack in cubic time, and a 10 kB value of
// `,iv:,tag:,type:` repeated took minutes (found by fuzzing). Base64 and the type hold no comma.
const ENC = /^ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:([^,\]]+)\]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A decrypted leaf: the value for the manifest, and the bytes sops feeds its MAC. */
export interface Leaf {
  value: unknown;
  macBytes: Buffer;
}

export class SopsValueError extends Error {}

function base64(field: string, text: string): Buffer {
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new SopsValueError(`its ${field} is not base64`);
  return Buffer.from(text, "base64");
}

/** Go's strconv.ParseBool. */
function parseBool(text: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new SopsValueError("its bool plaintext is not a boolean");
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign = "", head = "", tail = "", exp = "0"] = match;
  const digits = head + tail;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** sops' ToBytes for a plain (never encrypted) scalar; undefined for null, which sops skips. */
export function plainLeaf(value: unknown): Leaf | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return { value, macBytes: Buffer.from(value, "utf8") };
  if (typeof value === "bigint") {
    return { value: Number(value), macBytes: Buffer.from(value.toString(), "utf8") };
  }
  if (typeof value === "number") return { value, macBytes: Buffer.from(formatFloat(value), "utf8") };
  if (typeof value === "boolean") return { value, macBytes: Buffer.from(value ? "True" : "False") };
  throw new SopsValueError(`it is a ${typeof value}, which sops cannot hold`);
}

function openGcm(key: Buffer, iv: Buffer, data: Buffer, tag: Buffer, additionalData: string): Buffer {
  if (tag.length !== 16) throw new SopsValueError("its tag is not 16 bytes");
  if (iv.length === 0) throw new SopsValueError("its iv is empty");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(additionalData, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    // GCM's tag covers the ciphertext and the path: a changed value, a value moved to another
    // key, or another file's data key all end here.
    throw new SopsValueError(
      "it fails AES-GCM authentication (changed, moved, or encrypted with another data key)",
    );
  }
}

/**
 * Decrypts one ENC[...] string (sops' Cipher.Decrypt). An empty string stays empty: sops never
 * encrypts empty strings.
 */
export function decryptValue(ciphertext: string, key: Buffer, additionalData: string): Leaf {
  if (ciphertext === "") return { value: "", macBytes: Buffer.alloc(0) };
  const match = ENC.exec(ciphertext);
  if (!match) throw new SopsValueError("it is not in sops' ENC[AES256_GCM,…] format");
  const [, data = "", iv = "", tag = "", type = ""] = match;
  const plain = openGcm(key, base64("iv", iv), base64("data", data), base64("tag", tag), additionalData);
  const text = plain.toString("utf8");
  switch (type) {
    case "str":
    case "time": // sops writes time.MarshalText(); reading it back round-trips to the same bytes
      return { value: text, macBytes: plain };
    case "bytes":
      return { value: text, macBytes: plain };
    case "int": {
      if (!/^[+-]?\d+$/.test(text)) throw new SopsValueError("its int plaintext is not an integer");
      const n = BigInt(text);
      return { value: Number(n), macBytes: Buffer.from(n.toString()) };
    }
    case "float": {
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n) !== /nan/i.test(text)) {
        throw new SopsValueError("its float plaintext is not a number");
      }
      return { value: n, macBytes: Buffer.from(formatFloat(n)) };
    }
    case "bool": {
      const b = parseBool(text);
      return { value: b, macBytes: Buffer.from(b ? "True" : "False") };
    }
    default:
      throw new SopsValueError("its type is not one sops writes");
  }
}

/** time.Parse(RFC3339).Format(RFC3339): fractional seconds dropped, a zero offset written "Z". */
export function macAdditionalData(lastModified: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(lastModified);
  if (!match) throw new SopsValueError("sops.lastmodified is not an RFC 3339 time");
  const [, time = "", zone = ""] = match;
  return `${time}${/^([+-]00:00|z)$/i.test(zone) ? "Z" : zone}`;
}

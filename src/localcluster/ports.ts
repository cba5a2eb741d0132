// Loopback ports for the control plane. A free port is found by binding port 0; a port the user
// asked for is checked up front so a conflict is reported by name instead of as a crash later.
import net from "node:net";

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return listenOnce(0, host);
}

/** Resolves `port` if it can be bound on `host`; otherwise a PortInUseError naming `purpose`. */
export async function claimPort(port: number, purpose: string, host = "127.0.0.1"): Promise<number> {
  try {
    return await listenOnce(port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new PortInUseError(
        `port ${host}:${port} for ${purpose} is already in use (${code}); free it or choose another port`,
      );
    }
    throw error;
  }
}

// The production sender: one POST with Node's fetch. Redirects are not followed (a webhook URL
// that redirects is misconfigured, and following it could carry the headers to another host).
import type { Sender } from "./delivery.js";

export const httpSender: Sender = async (request) => {
  const response = await fetch(request.url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "tether-notifications", ...request.headers },
    body: request.body,
    redirect: "manual",
    signal: request.signal,
  });
  // Drain the body so the connection is released; its content is not used.
  await response.body?.cancel().catch(() => undefined);
  return { status: response.status };
};

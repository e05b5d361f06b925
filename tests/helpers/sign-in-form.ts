import { CLIENT_IP_HEADER, CLIENT_IP_SEAL_HEADER, createClientAddressSeal } from "@/lib/auth/request";

let seal: string | undefined;

/**
 * The sign-in form as a browser on this site posts it, for the route handler called in-process.
 * From `address`, stamped and sealed as server.ts stamps the client's address; without one the
 * address is unknown, as under a plain `next start`.
 */
export function signInForm(username: string, password: string, address?: string): Request {
  seal ??= createClientAddressSeal();
  return new Request("http://localhost/auth/sign-in", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      host: "localhost",
      origin: "http://localhost",
      ...(address ? { [CLIENT_IP_HEADER]: address, [CLIENT_IP_SEAL_HEADER]: seal } : {}),
    },
    body: new URLSearchParams({ username, password }).toString(),
  });
}

import { describe, expect, it } from "vitest";
import { clientAddressOf } from "@/lib/auth/request";

describe("the client address server.ts records", () => {
  it.each([
    ["no proxy trusted: the socket, whatever the header says", "10.0.0.5", "198.51.100.7", 0, "10.0.0.5"],
    ["one proxy: the address it appended", "10.0.0.5", "203.0.113.20", 1, "203.0.113.20"],
    ["one proxy: a forged entry in front is ignored", "10.0.0.5", "198.51.100.7, 203.0.113.20", 1, "203.0.113.20"],
    ["two proxies: the one the outer proxy saw", "10.0.0.5", "198.51.100.7, 203.0.113.20, 10.0.0.9", 2, "203.0.113.20"],
    ["more proxies trusted than entries: the first entry", "10.0.0.5", "203.0.113.20", 3, "203.0.113.20"],
    ["a proxy trusted but no header: the socket", "10.0.0.5", undefined, 1, "10.0.0.5"],
    ["headers repeated: read in order", "10.0.0.5", ["198.51.100.7", "203.0.113.20"], 1, "203.0.113.20"],
  ] as const)("%s", (_case, socket, forwardedFor, trusted, expected) => {
    expect(clientAddressOf(socket, forwardedFor as string | string[] | undefined, trusted)).toBe(expected);
  });
});

import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// docs/nginx.conf refuses what a plain `next start` would answer with a bare 500; its path
// pattern has to refuse exactly the paths the app cannot decode, and no other.
const config = readFileSync(path.resolve(import.meta.dirname, "../../docs/nginx.conf"), "utf8");

function pathPattern(): RegExp {
  const map = /map \$request_uri \$work_tracing_path_undecodable \{([\s\S]*?)\n\}/.exec(config)?.[1] ?? "";
  const source = /"~(.*)" 0;/.exec(map)?.[1];
  if (!source) throw new Error("docs/nginx.conf has no path pattern");
  return new RegExp(source);
}

const decodable = (text: string) => {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

describe("the documented nginx configuration", () => {
  const pattern = pathPattern();
  const accepts = (uri: string) => pattern.test(uri);

  it("refuses the undecodable paths Next answers with a 500, and passes ordinary ones", () => {
    for (const uri of ["/employees/%E0%A4%A", "/reports/%ff", "/api/users/%C0%AF/timeline", "/%ED%A0%80", "/%", "/%zz"])
      expect(accepts(uri), uri).toBe(false);
    for (const uri of [
      "/",
      "/employees/CORP%5Calice?date=2026-03-02",
      "/employees/%E5%B1%B1%E7%94%B0",
      "/%F0%9F%98%80",
      "/reports/week?date=%ff",
    ])
      expect(accepts(uri), uri).toBe(true);
  });

  it("agrees with the app's decoding on any path of escapes", () => {
    const hex = fc.constantFrom(..."0123456789ABCDEFabcdef".split(""));
    const escape = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
    // Whole UTF-8 sequences of any code point, and the same cut short by one escape.
    const encoded = fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).map(encodeURIComponent);
    const cut = encoded.map((text) => text.slice(0, -3));
    const piece = fc.oneof(escape, encoded, cut, fc.constantFrom("a", "/", "%", "%8", "é", "-"));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const uri = `/${pieces.join("")}`;
        expect(accepts(uri), uri).toBe(decodable(uri));
      }),
      { numRuns: 20_000 },
    );
  });

  it("refuses every method the app does not serve, TRACE among them", () => {
    const map = /map \$request_method \$work_tracing_method_refused \{([\s\S]*?)\n\}/.exec(config)?.[1] ?? "";
    const served = [...map.matchAll(/^\s+([A-Z]+) 0;$/gm)].map((match) => match[1]).sort();
    expect(map).toMatch(/default 1;/);
    expect(served).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
  });
});

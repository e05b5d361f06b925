import { describe } from "vitest";
import { describeAgentEndToEnd } from "../helpers/agent-end-to-end";
import { PROVIDERS } from "../helpers/databases";

describe.runIf(PROVIDERS.includes("postgresql"))("the agent against the real server", () =>
  describeAgentEndToEnd("postgresql"),
);

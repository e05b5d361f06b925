import { describe } from "vitest";
import { describeAgentEndToEnd } from "../helpers/agent-end-to-end";
import { PROVIDERS } from "../helpers/databases";

describe.runIf(PROVIDERS.includes("sqlite"))("the agent against the real server", () =>
  describeAgentEndToEnd("sqlite"),
);

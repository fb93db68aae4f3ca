import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cli } from "../../../local/cli/main.ts";
import { workflowCatalog } from "../../../workflows/catalog.ts";

const sfn = mockClient(SFNClient);
let out = "";
let err = "";
const AWS = ["--target", "aws", "--region", "eu-west-1", "--stage", "prod"];

beforeEach(() => {
  sfn.reset();
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());
afterAll(() => sfn.restore());

describe("cplane executions list --target aws", () => {
  it("reports missing credentials and exits 1 instead of printing an empty table", async () => {
    const noCredentials = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    sfn.on(ListStateMachinesCommand).rejects(noCredentials);

    const code = await cli(["executions", "list", ...AWS]);

    expect(code).toBe(1);
    expect(err).toBe("cplane: CredentialsProviderError: Could not load credentials from any providers\n");
    expect(out).toBe("");
  });

  it("lists the stage's executions and names the workflows the stage does not have", async () => {
    const arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:cplane-prod-tenant-onboarding";
    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        {
          name: "cplane-prod-tenant-onboarding",
          stateMachineArn: arn,
          type: "STANDARD",
          creationDate: new Date(),
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: arn }).resolves({
      executions: [
        {
          executionArn: `${arn.replace("stateMachine", "execution")}:e1`,
          stateMachineArn: arn,
          name: "e1",
          status: "SUCCEEDED",
          startDate: new Date("2026-03-01T12:00:00Z"),
        },
      ],
    });

    const code = await cli(["executions", "list", ...AWS]);

    expect(code).toBe(0);
    expect(out).toMatch(/tenant-onboarding\s+SUCCEEDED\s+2026-03-01T12:00:00Z/);
    const others = [...workflowCatalog.keys()].filter((name) => name !== "tenant-onboarding");
    expect(others).toContain("tenant-offboarding");
    expect(err).toBe(`not deployed on aws: ${others.join(", ")}\n`);
  });

  it("refuses a named workflow the stage does not have (exit 2), where listing them all skips it", async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    const code = await cli(["executions", "list", "tenant-offboarding", ...AWS]);
    expect(code).toBe(2);
    expect(err).toBe("cplane: state machine cplane-prod-tenant-offboarding is not deployed on aws\n");
  });
});

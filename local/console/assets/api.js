// The console's only way to the runtime: the Step Functions and EventBridge JSON protocols (as the
// AWS SDK speaks them) and the runtime's admin routes under /_cplane (as the CLI calls them).

export class ApiError extends Error {
  constructor(name, message, status) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

async function answer(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const name = body.__type?.split("#").pop() ?? body.error ?? `HTTP ${response.status}`;
    throw new ApiError(name, body.message ?? body.Message ?? text, response.status);
  }
  return body;
}

async function awsJson(prefix, version, operation, input) {
  const response = await fetch("/", {
    method: "POST",
    headers: {
      "content-type": `application/x-amz-json-${version}`,
      "x-amz-target": `${prefix}.${operation}`,
    },
    body: JSON.stringify(input ?? {}),
  });
  return answer(response);
}

/**
 * A Step Functions API call: `sfn("DescribeExecution", { executionArn })`. State machines are named as
 * deployed (`cplane-local-<workflow>`, so that the catalogs' IAM ARNs hold locally): the console lists
 * them by their workflow's name, the name its catalog and links use.
 */
export const sfn = async (operation, input) => {
  const out = await awsJson("AWSStepFunctions", "1.0", operation, input);
  if (operation !== "ListStateMachines") return out;
  return {
    ...out,
    stateMachines: out.stateMachines.map((sm) => ({ ...sm, name: workflowName(sm.name) })),
  };
};

/** The workflow a state machine (by name or ARN) runs, as the console names it in its links. */
export const workflowName = (stateMachine) =>
  String(stateMachine)
    .split(":")
    .pop()
    .replace(/^cplane-local-/, "");

/** An EventBridge API call: `events("PutEvents", { Entries })`. */
export const events = (operation, input) => awsJson("AWSEvents", "1.1", operation, input);

/** A runtime admin route: GET without a body, POST (JSON) with one. */
export async function admin(path, body) {
  const response = await fetch(`/_cplane/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response);
}

let catalog;
/** Workflow descriptions, input schemas and samples; event samples (see local/console/catalog.ts). */
export async function consoleCatalog() {
  catalog ??= fetch("/console/catalog.json").then(answer);
  return catalog;
}

/** Every execution of every state machine, newest first (ListExecutions pages through each). */
export async function allExecutions({ workflow, status } = {}) {
  const { stateMachines } = await sfn("ListStateMachines", {});
  const chosen = stateMachines.filter((sm) => !workflow || sm.name === workflow);
  const lists = await Promise.all(
    chosen.map(async (sm) => {
      const out = [];
      let nextToken;
      do {
        const page = await sfn("ListExecutions", {
          stateMachineArn: sm.stateMachineArn,
          maxResults: 1000,
          ...(status ? { statusFilter: status } : {}),
          ...(nextToken ? { nextToken } : {}),
        });
        out.push(...page.executions.map((e) => ({ ...e, workflow: sm.name })));
        nextToken = page.nextToken;
      } while (nextToken);
      return out;
    }),
  );
  return lists.flat().sort((a, b) => b.startDate - a.startDate);
}

/** The whole history of an execution, oldest first. */
export async function fullHistory(executionArn) {
  const out = [];
  let nextToken;
  do {
    const page = await sfn("GetExecutionHistory", {
      executionArn,
      maxResults: 1000,
      ...(nextToken ? { nextToken } : {}),
    });
    out.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** The workflow's own contract check (as `cplane run` makes it): `{ issues: [{ path, message }] }`. */
export async function checkInput(workflow, input) {
  const response = await fetch("/console/validate", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workflow, input }),
  });
  return answer(response);
}

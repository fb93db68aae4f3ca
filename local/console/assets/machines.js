// State machines: the list, and one workflow's graph, description, input schema and start form.
import { checkInput, consoleCatalog, sfn } from "./api.js";
import { drawGraph, graphFrame, stateNames } from "./graph.js";
import { inputForm, validate } from "./schema.js";
import { action, encodeArn, errorText, h, json, link, notify, table, time } from "./ui.js";

export async function machinesView(root) {
  const [{ stateMachines }, catalog] = await Promise.all([sfn("ListStateMachines", {}), consoleCatalog()]);
  const described = new Map(catalog.workflows.map((w) => [w.name, w]));
  root.append(
    h("h1", {}, "State machines"),
    table(
      [
        { title: "Name", cell: (sm) => link(`#/machines/${sm.name}`, sm.name) },
        { title: "Description", cell: (sm) => described.get(sm.name)?.description ?? "" },
        { title: "Created", cell: (sm) => time(sm.creationDate) },
        { title: "", cell: (sm) => link(`#/executions?workflow=${sm.name}`, "executions") },
      ],
      stateMachines,
    ),
  );
}

/** The start form of a workflow: fields from its schema, a sample, validation before StartExecution. */
export function startForm(workflow, stateMachineArn) {
  const form = inputForm(workflow.inputSchema, workflow.sample);
  const errors = h("ul", { class: "errors", "aria-live": "polite" });
  const name = h("input", {
    id: "execution-name",
    type: "text",
    placeholder: "(generated)",
    "aria-label": "execution name",
  });
  const start = action(
    "Start execution",
    async () => {
      errors.replaceChildren();
      const read = form.read();
      // The schema's check answers at once; the contract's own (refinements included) before sending.
      let problems = read.syntax
        ? [{ path: "(input)", message: read.syntax }]
        : validate(workflow.inputSchema, read.value);
      if (problems.length === 0) problems = (await checkInput(workflow.name, read.value)).issues;
      if (problems.length > 0) {
        errors.append(...problems.map((p) => h("li", {}, `${p.path}: ${p.message}`)));
        notify(`input for ${workflow.name} is invalid; nothing was started`, "error");
        return;
      }
      const started = await sfn("StartExecution", {
        stateMachineArn,
        input: JSON.stringify(read.value),
        ...(name.value ? { name: name.value } : {}),
      });
      location.hash = `#/executions/${encodeArn(started.executionArn)}`;
    },
    { class: "primary", id: "start" },
  );
  return h(
    "section",
    { class: "start-form card" },
    h("h2", {}, `Start ${workflow.name}`),
    h(
      "div",
      { class: "form-grid" },
      form.fields,
      h("label", { for: "execution-name" }, "execution name"),
      name,
    ),
    h("details", { open: true }, h("summary", {}, "Input (JSON)"), form.json),
    errors,
    h(
      "div",
      { class: "buttons" },
      action("Use the sample", async () => form.set(workflow.sample)),
      start,
    ),
  );
}

export async function machineView(root, name) {
  const [{ stateMachines }, catalog] = await Promise.all([sfn("ListStateMachines", {}), consoleCatalog()]);
  const sm = stateMachines.find((s) => s.name === name);
  if (!sm) throw new Error(`no state machine ${name}`);
  const described = await sfn("DescribeStateMachine", { stateMachineArn: sm.stateMachineArn });
  const definition = JSON.parse(described.definition);
  const workflow = catalog.workflows.find((w) => w.name === name);
  let graph;
  try {
    graph = drawGraph(definition);
  } catch (error) {
    graph = h("p", { class: "error" }, `the graph could not be laid out: ${errorText(error)}`);
  }
  root.append(
    h("h1", {}, name),
    h("p", { class: "lead" }, workflow?.description ?? definition.Comment ?? ""),
    h(
      "p",
      { class: "meta" },
      `${stateNames(definition).length} states · `,
      link(`#/executions?workflow=${name}`, "executions"),
      ` · ${sm.stateMachineArn}`,
    ),
    h(
      "div",
      { class: "split" },
      h("section", { class: "card graph-card" }, h("h2", {}, "Graph"), graphFrame(graph)),
      h(
        "div",
        {},
        workflow
          ? startForm(workflow, sm.stateMachineArn)
          : h("p", {}, "This state machine has no input contract in the catalog."),
        workflow
          ? h(
              "section",
              { class: "card" },
              h("details", {}, h("summary", {}, "Input schema"), json(workflow.inputSchema)),
            )
          : "",
        h(
          "section",
          { class: "card" },
          h("details", {}, h("summary", {}, "Definition (ASL)"), json(definition)),
        ),
      ),
    ),
  );
}

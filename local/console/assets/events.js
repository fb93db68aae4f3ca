// Events and triggers: put a sample event, schedules (next run, run now), rules, the bus log.
import { admin, consoleCatalog, events } from "./api.js";
import { action, arnName, encodeArn, h, json, link, notify, poll, table, time } from "./ui.js";

export async function eventsView(root, query, signal) {
  const bus = query.get("bus") ?? "";
  const catalog = await consoleCatalog();
  const log = h("div", { id: "event-log" });
  const sample = h(
    "select",
    { id: "sample", "aria-label": "sample event" },
    ...catalog.samples.map((s) => h("option", { value: s.name }, s.name)),
  );
  const editor = h("textarea", {
    id: "event-json",
    rows: 10,
    class: "json",
    spellcheck: "false",
    "aria-label": "event (JSON)",
  });
  const load = () => {
    const chosen = catalog.samples.find((s) => s.name === sample.value);
    editor.value = JSON.stringify(chosen?.event ?? {}, null, 2);
  };
  sample.addEventListener("change", load);
  load();
  const put = action(
    "Put event",
    async () => {
      const event = JSON.parse(editor.value);
      const { Entries, FailedEntryCount } = await events("PutEvents", {
        Entries: [
          {
            Source: event.source,
            DetailType: event["detail-type"],
            Detail: JSON.stringify(event.detail ?? {}),
            EventBusName: event.source?.startsWith("aws.") ? "default" : "cplane",
            ...(event.resources ? { Resources: event.resources } : {}),
          },
        ],
      });
      if (FailedEntryCount)
        throw Object.assign(new Error(Entries[0].ErrorMessage), { name: Entries[0].ErrorCode });
      notify(`put ${Entries[0].EventId}`);
    },
    { class: "primary", id: "put-event" },
  );
  const { rules } = await admin("rules");
  // Redrawn by the poll below whenever a next run moves (time passes, a schedule fires).
  const schedulesBox = h("div", { id: "schedules" });
  const drawSchedules = (schedules) =>
    schedulesBox.replaceChildren(
      table(
        [
          { title: "Schedule", cell: (s) => s.name },
          { title: "Expression", cell: (s) => `${s.expression ?? ""} ${s.timezone}` },
          { title: "Workflow", cell: (s) => s.workflow },
          {
            title: "Next run",
            cell: (s) =>
              !s.loaded ? `not loaded: ${s.reason}` : s.state === "DISABLED" ? "disabled" : time(s.nextRun),
          },
          {
            title: "",
            cell: (s) =>
              s.loaded
                ? action(
                    "Run now",
                    async () => {
                      const { executionArn, started, error } = await admin(
                        `schedules/${encodeURIComponent(s.name)}/trigger`,
                        {},
                      );
                      // A start the schedule's role may not make is a failed invocation, not an execution.
                      if (started === false) {
                        notify(`${s.name} did not start ${s.workflow}: ${error}`, "error");
                        return;
                      }
                      notify(
                        h(
                          "span",
                          {},
                          `${s.name} started `,
                          link(`#/executions/${encodeArn(executionArn)}`, arnName(executionArn)),
                        ),
                      );
                    },
                    { "data-schedule": s.name },
                  )
                : "",
          },
        ],
        schedules,
        { rowAttrs: (s) => ({ "data-schedule-row": s.name }) },
      ),
    );
  root.append(
    h("h1", {}, "Events and triggers"),
    h(
      "div",
      { class: "split even" },
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Put a sample event"),
        sample,
        editor,
        h("div", { class: "buttons" }, put),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, "Schedules"),
        schedulesBox,
        h("h2", {}, "Rules"),
        table(
          [
            { title: "Rule", cell: (r) => r.rule },
            { title: "Workflow", cell: (r) => r.workflow },
            { title: "Loaded", cell: (r) => (r.loaded ? "yes" : `no: ${r.reason}`) },
          ],
          rules,
        ),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Bus log"),
      h(
        "div",
        { class: "filters" },
        h(
          "label",
          {},
          "bus ",
          h(
            "select",
            {
              onchange: (e) => {
                location.hash = `#/events${e.target.value ? `?bus=${e.target.value}` : ""}`;
              },
            },
            ...["", "cplane", "default"].map((b) =>
              h("option", { value: b, selected: b === bus }, b || "all"),
            ),
          ),
        ),
      ),
      log,
    ),
  );
  let shown = "";
  let shownSchedules = "";
  await poll(
    async () => {
      const [page, { schedules }] = await Promise.all([
        admin(`events?limit=200${bus ? `&bus=${bus}` : ""}`),
        admin("schedules"),
      ]);
      const scheduleKey = JSON.stringify(schedules.map((s) => [s.name, s.nextRun, s.loaded]));
      if (scheduleKey !== shownSchedules) {
        shownSchedules = scheduleKey;
        drawSchedules(schedules);
      }
      const key = `${page.total}:${page.events.at(-1)?.id ?? ""}`;
      if (key === shown) return;
      shown = key;
      log.replaceChildren(
        h("p", { class: "meta" }, `newest ${page.events.length} of ${page.total} kept`),
        table(
          [
            { title: "Time", cell: (e) => time(e.time ?? e.event?.time) },
            { title: "Source", cell: (e) => e.source ?? e.event?.source ?? "" },
            { title: "Detail type", cell: (e) => e["detail-type"] ?? e.event?.["detail-type"] ?? "" },
            { title: "Event", cell: (e) => h("details", {}, h("summary", {}, "show"), json(e)) },
          ],
          [...page.events].reverse(),
          { empty: "No events on the bus yet." },
        ),
      );
    },
    2000,
    signal,
  );
}

// A workflow's input contract as JSON Schema (generated from its zod contract): a small validator for
// the subset zod emits, and the start form built from it. The runtime does not check contracts on
// StartExecution (AWS does not either); like `cplane run`, the console refuses an invalid input first.

const typeOf = (v) =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
const typeMatches = (want, v) => want === typeOf(v) || (want === "number" && typeof v === "number");
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The branches of a union, or the schema itself. */
export const branchesOf = (schema) => schema.oneOf ?? schema.anyOf ?? [schema];

/** Errors as `{ path, message }`, none when `value` satisfies `schema`. */
export function validate(schema, value, path = "") {
  const at = path || "(input)";
  if (schema.oneOf || schema.anyOf) {
    const branches = branchesOf(schema);
    const results = branches.map((b) => validate(b, value, path));
    if (results.some((r) => r.length === 0)) return [];
    // The branch the value's discriminator names says most; else the one with the fewest errors.
    const named = branches.findIndex((b) =>
      Object.entries(b.properties ?? {}).some(([k, p]) => p.const !== undefined && value?.[k] === p.const),
    );
    if (named >= 0) return results[named];
    return results.reduce((a, b) => (b.length < a.length ? b : a));
  }
  if (schema.const !== undefined && value !== schema.const)
    return [{ path: at, message: `must be ${JSON.stringify(schema.const)}` }];
  if (schema.enum && !schema.enum.includes(value))
    return [{ path: at, message: `must be one of ${schema.enum.join(", ")}` }];
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 0 && !types.some((t) => typeMatches(t, value)))
    return [{ path: at, message: `must be ${types.join(" or ")}, not ${typeOf(value)}` }];
  const errors = [];
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength)
      errors.push({
        path: at,
        message:
          schema.minLength === 1 ? "must not be empty" : `must have at least ${schema.minLength} characters`,
      });
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      errors.push({ path: at, message: `must have at most ${schema.maxLength} characters` });
    if (schema.format === "date-time" && !DATE_TIME.test(value))
      errors.push({ path: at, message: "must be an ISO date-time" });
    else if (schema.pattern && !new RegExp(schema.pattern, "u").test(value))
      errors.push({
        path: at,
        message: schema.format === "email" ? "must be an email address" : `must match ${schema.pattern}`,
      });
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push({ path: at, message: `must be at least ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push({ path: at, message: `must be at most ${schema.maximum}` });
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
      errors.push({ path: at, message: `must be more than ${schema.exclusiveMinimum}` });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push({ path: at, message: `needs at least ${schema.minItems} items` });
    if (schema.items)
      for (const [i, item] of value.entries()) errors.push(...validate(schema.items, item, `${path}[${i}]`));
  }
  if (typeOf(value) === "object") {
    for (const name of schema.required ?? [])
      if (value[name] === undefined)
        errors.push({ path: path ? `${path}.${name}` : name, message: "is required" });
    for (const [name, item] of Object.entries(value)) {
      const property = schema.properties?.[name];
      const where = path ? `${path}.${name}` : name;
      if (property) errors.push(...validate(property, item, where));
      else if (schema.additionalProperties === false)
        errors.push({ path: where, message: "is not a field of this input" });
    }
  }
  return errors;
}

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null));
  return node;
}

/**
 * The start form: one field per top-level property of the chosen branch (a select for enums and
 * constants), and the whole input as JSON, kept in step both ways. `read()` gives the value or a
 * JSON syntax error; `refresh()` redraws the fields from the JSON.
 */
export function inputForm(schema, sample) {
  const branches = branchesOf(schema);
  const json = h("textarea", {
    name: "input",
    rows: 8,
    spellcheck: "false",
    "aria-label": "input (JSON)",
    class: "json",
  });
  json.value = JSON.stringify(sample ?? {}, null, 2);
  const fields = h("div", { class: "fields" });
  const read = () => {
    try {
      return { value: JSON.parse(json.value || "{}") };
    } catch (error) {
      return { syntax: `the input is not JSON: ${error.message}` };
    }
  };
  const write = (value) => {
    json.value = JSON.stringify(value, null, 2);
  };
  const branchOf = (value) =>
    branches.find((b) =>
      Object.entries(b.properties ?? {}).every(([k, p]) => p.const === undefined || value?.[k] === p.const),
    ) ?? branches[0];
  const refresh = () => {
    const { value } = read();
    if (!value || typeof value !== "object" || Array.isArray(value)) return;
    const branch = branchOf(value);
    const required = new Set(branch.required ?? []);
    fields.replaceChildren();
    for (const [name, property] of Object.entries(branch.properties ?? {})) {
      const id = `field-${name}`;
      const current = value[name];
      const update = (next) => {
        const now = read().value ?? {};
        if (next === undefined || next === "") delete now[name];
        else now[name] = next;
        write(now);
        if (property.const !== undefined || branches.length > 1) refresh();
      };
      let input;
      const options =
        property.enum ??
        (property.const !== undefined
          ? branches.map((b) => b.properties?.[name]?.const).filter((c) => c !== undefined)
          : undefined);
      if (options) {
        input = h(
          "select",
          {
            id,
            name,
            onchange: (e) => {
              const chosen = e.target.value;
              if (property.const !== undefined) {
                // Switching a union's discriminator starts from that branch's own fields.
                const next = branches.find((b) => b.properties?.[name]?.const === chosen);
                const kept = Object.fromEntries(
                  Object.entries(read().value ?? {}).filter(([k]) => next?.properties?.[k]),
                );
                write({ ...kept, [name]: chosen });
                refresh();
              } else update(chosen || undefined);
            },
          },
          ...(required.has(name) ? [] : [h("option", { value: "" }, "—")]),
          ...[...new Set(options)].map((o) => h("option", { value: o, selected: o === current }, String(o))),
        );
      } else if (property.type === "boolean") {
        input = h("input", {
          id,
          name,
          type: "checkbox",
          checked: current === true,
          onchange: (e) => update(e.target.checked),
        });
      } else if (property.type === "number" || property.type === "integer") {
        input = h("input", {
          id,
          name,
          type: "number",
          value: current ?? "",
          onchange: (e) => update(e.target.value === "" ? undefined : Number(e.target.value)),
        });
      } else if (property.type === "string" || [property.type].flat().includes("string")) {
        input = h("input", {
          id,
          name,
          type: "text",
          value: current ?? "",
          placeholder: property.format ?? "",
          oninput: (e) => update(e.target.value === "" ? undefined : e.target.value),
        });
      } else {
        input = h("input", {
          id,
          name,
          type: "text",
          value: current === undefined ? "" : JSON.stringify(current),
          placeholder: "JSON",
          onchange: (e) => {
            try {
              update(e.target.value === "" ? undefined : JSON.parse(e.target.value));
            } catch {
              update(e.target.value);
            }
          },
        });
      }
      fields.append(
        h(
          "label",
          { for: id, title: property.description ?? "" },
          name,
          required.has(name) ? h("span", { class: "req", title: "required" }, " *") : "",
          property.description ? h("small", {}, property.description) : "",
        ),
        input,
      );
    }
  };
  json.addEventListener("change", refresh);
  refresh();
  return {
    fields,
    json,
    read,
    refresh,
    set: (value) => {
      write(value);
      refresh();
    },
  };
}

export { h };

/**
 * Definition checks at CreateStateMachine: asl-validator's schema checks plus our own (transition
 * targets, query-language field rules, JSONPath / intrinsic / JSONata syntax), reported as
 * `InvalidDefinition` with AWS's message shape.
 */
import { aslValidator } from "./asl-validator.ts";
import { CHOICE_OPERATORS } from "./choice.ts";
import { InvalidDefinition } from "./errors.ts";
import { isIntrinsic, parseIntrinsic } from "./intrinsics.ts";
import { isObject, type Json, type JsonObject } from "./json.ts";
import { compileJsonata, jsonataExpression } from "./jsonata.ts";
import { compilePath } from "./jsonpath.ts";
import type { AslMachine, QueryLanguage } from "./types.ts";

const JSONPATH_ONLY = ["InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath"];
const JSONATA_ONLY = ["Arguments", "Output", "Items"];
const TYPES = new Set(["Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"]);

interface Problem {
  code: string;
  message: string;
  at: string;
}

export function validateDefinition(definition: unknown): AslMachine {
  const problems: Problem[] = [];
  if (!isObject(definition as Json)) {
    throw new InvalidDefinition(
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the definition must be a JSON object'",
    );
  }
  const def = definition as JsonObject;
  const topQl = def.QueryLanguage === undefined ? "JSONPath" : def.QueryLanguage;
  if (topQl !== "JSONPath" && topQl !== "JSONata") {
    problems.push({
      code: "SCHEMA_VALIDATION_FAILED",
      message: `Unknown QueryLanguage ${String(topQl)}`,
      at: "/QueryLanguage",
    });
  }
  checkMachine(def, topQl as QueryLanguage, "", problems);
  if (problems.length === 0) {
    const result = aslValidator(structuredClone(definition), { checkPaths: false, checkArn: false });
    if (!result.isValid) {
      const SEP = "\u0000";
      const all = result.errorsText(SEP).split(SEP);
      // asl-validator's schema is stricter than AWS on JSONata values (any JSON is allowed there) and on
      // a few numeric fields; those findings, and the oneOf noise they cause on `Type`, are dropped.
      const loose =
        /\/(Output|Assign|Condition|Arguments|Items|ItemSelector|ToleratedFailurePercentage)(\/| is invalid)/;
      const real = all.filter((line) => !loose.test(line));
      const onlyNoise = real.every((line) => /\/Type is invalid/.test(line));
      if (!(onlyNoise && real.length < all.length) && real.length > 0) {
        throw new InvalidDefinition(`Invalid State Machine Definition: '${real.join("; ")}'`);
      }
    }
  }
  if (problems.length > 0) {
    const text = problems.map((p) => `${p.code}: ${p.message} at ${p.at}`).join(", ");
    throw new InvalidDefinition(`Invalid State Machine Definition: '${text}'`);
  }
  return definition as unknown as AslMachine;
}

function checkMachine(m: JsonObject, ql: QueryLanguage, at: string, problems: Problem[]): void {
  const states = m.States;
  if (typeof m.StartAt !== "string") {
    problems.push({
      code: "SCHEMA_VALIDATION_FAILED",
      message: "The field 'StartAt' is required",
      at: `${at}/StartAt`,
    });
  }
  if (!isObject(states)) {
    problems.push({
      code: "SCHEMA_VALIDATION_FAILED",
      message: "The field 'States' is required",
      at: `${at}/States`,
    });
    return;
  }
  if (typeof m.StartAt === "string" && !(m.StartAt in states)) {
    problems.push({
      code: "MISSING_TRANSITION_TARGET",
      message: `Missing 'Next' target: ${m.StartAt}`,
      at: `${at}/StartAt`,
    });
  }
  for (const [name, raw] of Object.entries(states)) {
    const where = `${at}/States/${name}`;
    if (!isObject(raw)) {
      problems.push({ code: "SCHEMA_VALIDATION_FAILED", message: "A state must be an object", at: where });
      continue;
    }
    const s = raw;
    if (typeof s.Type !== "string" || !TYPES.has(s.Type)) {
      problems.push({
        code: "SCHEMA_VALIDATION_FAILED",
        message: `Unknown state type ${String(s.Type)}`,
        at: `${where}/Type`,
      });
      continue;
    }
    const stateQl = (s.QueryLanguage ?? ql) as QueryLanguage;
    if (ql === "JSONata" && s.QueryLanguage === "JSONPath") {
      problems.push({
        code: "SCHEMA_VALIDATION_FAILED",
        message: "A state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
        at: `${where}/QueryLanguage`,
      });
    }
    const targets: [string, Json | undefined][] = [
      ["Next", s.Next],
      ["Default", s.Default],
    ];
    for (const [field, list] of [
      ["Choices", s.Choices],
      ["Catch", s.Catch],
    ] as const) {
      if (!Array.isArray(list)) continue;
      list.forEach((c, i) => {
        if (isObject(c)) targets.push([`${field}[${i}].Next`, c.Next]);
      });
    }
    for (const [field, target] of targets) {
      if (typeof target === "string" && !(target in states)) {
        problems.push({
          code: "MISSING_TRANSITION_TARGET",
          message: `Missing 'Next' target: ${target}`,
          at: `${where}/${field}`,
        });
      }
    }
    const terminal = s.Type === "Choice" || s.Type === "Succeed" || s.Type === "Fail";
    if (!terminal && s.End !== true && typeof s.Next !== "string") {
      problems.push({
        code: "MISSING_TRANSITION_TARGET",
        message: "State must have either 'Next' or 'End': true",
        at: where,
      });
    }
    for (const f of stateQl === "JSONata" ? JSONPATH_ONLY : JSONATA_ONLY) {
      if (f in s && !(f === "Parameters" && s.Type === "Map" && stateQl === "JSONPath")) {
        problems.push({
          code: "SCHEMA_VALIDATION_FAILED",
          message: `The field '${f}' is not supported in ${stateQl} states`,
          at: `${where}/${f}`,
        });
      }
    }
    checkAssign(s.Assign, `${where}/Assign`, problems);
    if (Array.isArray(s.Catch)) {
      s.Catch.forEach((c, i) => {
        if (isObject(c)) checkAssign(c.Assign, `${where}/Catch[${i}]/Assign`, problems);
      });
    }
    if (Array.isArray(s.Choices)) {
      s.Choices.forEach((c, i) => {
        if (isObject(c)) checkAssign(c.Assign, `${where}/Choices[${i}]/Assign`, problems);
      });
    }
    if (stateQl === "JSONPath") checkJsonPathState(s, where, problems);
    else checkJsonataValues(s, where, problems);
    if (s.Type === "Choice" && stateQl === "JSONPath" && Array.isArray(s.Choices)) {
      s.Choices.forEach((c, i) => {
        if (isObject(c)) checkRule(c, `${where}/Choices[${i}]`, problems, true);
      });
    }
    if (s.Type === "Parallel") {
      if (!Array.isArray(s.Branches) || s.Branches.length === 0) {
        problems.push({
          code: "SCHEMA_VALIDATION_FAILED",
          message: "Parallel needs Branches",
          at: `${where}/Branches`,
        });
      } else {
        s.Branches.forEach((b, i) => {
          if (isObject(b)) checkMachine(b, ql, `${where}/Branches[${i}]`, problems);
        });
      }
    }
    if (s.Type === "Map") {
      const proc = s.ItemProcessor ?? s.Iterator;
      if (!isObject(proc)) {
        problems.push({
          code: "SCHEMA_VALIDATION_FAILED",
          message: "Map needs an ItemProcessor",
          at: `${where}/ItemProcessor`,
        });
      } else checkMachine(proc, ql, `${where}/ItemProcessor`, problems);
    }
    if (s.Type === "Task" && typeof s.Resource !== "string") {
      problems.push({
        code: "SCHEMA_VALIDATION_FAILED",
        message: "The field 'Resource' is required",
        at: `${where}/Resource`,
      });
    }
  }
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,79}$/;

function checkAssign(assign: Json | undefined, at: string, problems: Problem[]): void {
  if (assign === undefined) return;
  if (!isObject(assign)) {
    problems.push({ code: "SCHEMA_VALIDATION_FAILED", message: "Assign must be an object", at });
    return;
  }
  for (const key of Object.keys(assign)) {
    const name = key.endsWith(".$") ? key.slice(0, -2) : key;
    if (!VARIABLE_NAME.test(name) || name === "states") {
      problems.push({
        code: "SCHEMA_VALIDATION_FAILED",
        message: `Invalid variable name '${name}': use letters, digits and underscores, not starting with a digit; 'states' is reserved`,
        at: `${at}/${key}`,
      });
    }
  }
}

function checkRule(rule: JsonObject, at: string, problems: Problem[], top: boolean): void {
  if (Array.isArray(rule.And) || Array.isArray(rule.Or)) {
    for (const r of (rule.And ?? rule.Or) as Json[]) if (isObject(r)) checkRule(r, at, problems, false);
    return;
  }
  if (isObject(rule.Not)) {
    checkRule(rule.Not, at, problems, false);
    return;
  }
  if (top && typeof rule.Next !== "string") {
    problems.push({ code: "SCHEMA_VALIDATION_FAILED", message: "A choice rule needs 'Next'", at });
  }
  const ops = Object.keys(rule).filter((k) => CHOICE_OPERATORS.includes(k));
  if (ops.length !== 1 || typeof rule.Variable !== "string") {
    problems.push({
      code: "SCHEMA_VALIDATION_FAILED",
      message: "A choice rule needs a Variable and exactly one comparison operator",
      at,
    });
  }
}

function checkPath(path: Json | undefined, at: string, problems: Problem[]): void {
  if (typeof path !== "string") return;
  try {
    if (isIntrinsic(path)) parseIntrinsic(path);
    else if (path.startsWith("$$")) compilePath(path.slice(1));
    else if (/^\$[A-Za-z_]/.test(path)) compilePath(`$${path.replace(/^\$[A-Za-z_][A-Za-z0-9_]*/, "")}`);
    else compilePath(path);
  } catch (e) {
    problems.push({
      code: "INVALID_JSON_PATH",
      message: `Invalid JSONPath ${path}: ${(e as Error).message}`,
      at,
    });
  }
}

function checkJsonPathState(s: JsonObject, where: string, problems: Problem[]): void {
  for (const f of ["InputPath", "OutputPath", "ResultPath", "ItemsPath", "SecondsPath", "TimestampPath"]) {
    checkPath(s[f], `${where}/${f}`, problems);
  }
  for (const f of ["Parameters", "ResultSelector", "ItemSelector", "Assign"]) {
    checkTemplate(s[f], `${where}/${f}`, problems);
  }
}

function checkTemplate(t: Json | undefined, at: string, problems: Problem[]): void {
  if (Array.isArray(t)) {
    t.forEach((x, i) => {
      checkTemplate(x, `${at}[${i}]`, problems);
    });
  }
  if (!isObject(t)) return;
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith(".$")) {
      if (typeof v !== "string") {
        problems.push({
          code: "SCHEMA_VALIDATION_FAILED",
          message: `The value of '${k}' must be a path string`,
          at: `${at}/${k}`,
        });
      } else checkPath(v, `${at}/${k}`, problems);
    } else checkTemplate(v, `${at}/${k}`, problems);
  }
}

function checkJsonataValues(v: Json | undefined, at: string, problems: Problem[]): void {
  if (typeof v === "string") {
    const expr = jsonataExpression(v);
    if (expr !== undefined) {
      try {
        compileJsonata(expr);
      } catch (e) {
        problems.push({
          code: "SCHEMA_VALIDATION_FAILED",
          message: `Invalid JSONata expression ${v}: ${(e as Error).message}`,
          at,
        });
      }
    }
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      checkJsonataValues(x, `${at}[${i}]`, problems);
    });
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "States" || k === "Branches" || k === "ItemProcessor" || k === "Iterator") continue;
      checkJsonataValues(x, `${at}/${k}`, problems);
    }
  }
}

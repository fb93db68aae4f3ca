/**
 * IAM's two wildcards, `*` (any run of characters, none included) and `?` (exactly one character), as
 * Action, Resource and the `…Like` condition operators use them. Patterns compile once to a RegExp.
 */

const compiled = new Map<string, RegExp>();
const compiledIgnoreCase = new Map<string, RegExp>();
/** Enough for every pattern of the catalogs and the policies the runtime makes, without unbounded growth. */
const MAX_CACHED = 4096;

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const cache = ignoreCase ? compiledIgnoreCase : compiled;
  let regexp = cache.get(pattern);
  if (!regexp) {
    let source = "";
    for (const char of pattern) {
      if (char === "*") source += "[\\s\\S]*";
      else if (char === "?") source += "[\\s\\S]";
      else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    regexp = new RegExp(`^${source}$`, ignoreCase ? "iu" : "u");
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(pattern, regexp);
  }
  return regexp;
}

/** Whether `value` matches `pattern` with IAM's wildcards. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/** `service:Action` patterns: the service prefix and the action name are case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern === "*" || wildcardMatch(pattern, action, true);
}

/**
 * `ArnLike` and `ArnEquals`: the six colon-delimited components (partition, service, region, account,
 * then the resource, which may hold colons itself) compared one by one, each with wildcards, so that a
 * wildcard does not reach across the first five colons. A policy value that is no ARN matches nothing.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  const want = splitArn(pattern);
  const have = splitArn(arn);
  if (!want || !have) return false;
  for (let i = 0; i < 6; i++) {
    if (!wildcardMatch(want[i] as string, have[i] as string)) return false;
  }
  return true;
}

/**
 * A statement's Resource against the request's resource. `*` matches everything, and is the only thing
 * that matches the `*` of an action without a resource type. An ARN with fewer than six components is
 * completed with `*`. Partition, service, region and account compare without case; in the resource
 * component its type (up to the first `/` or `:`, as in `cluster:` or `table/`) takes no wildcard and
 * the rest compares with case.
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === "*" || pattern === resource) return true;
  if (resource === "*") return false;
  // A full ARN without wildcards (most of a state machine role's function ARNs) matches only a resource
  // equal to it but for case in the first five components: a cheap refusal before splitting both.
  if (!/[*?]/.test(pattern) && colons(pattern) >= 5 && pattern.toLowerCase() !== resource.toLowerCase())
    return false;
  const parts = pattern.split(":");
  while (parts.length < 6) parts.push("*");
  const have = splitArn(resource);
  if (!have || parts[0] !== "arn") return false;
  for (let i = 1; i < 5; i++) {
    if (!wildcardMatch(parts[i] as string, have[i] as string, true)) return false;
  }
  const wanted = parts.slice(5).join(":");
  const type = resourceType(wanted);
  const actual = have[5] as string;
  return actual.startsWith(type) && wildcardMatch(wanted.slice(type.length), actual.slice(type.length));
}

/** The resource type prefix of an ARN's resource component: `cluster:` of `cluster:tenant-*`, `` of `*`. */
function resourceType(resource: string): string {
  const slash = resource.indexOf("/");
  const colon = resource.indexOf(":");
  if (slash === -1 && colon === -1) return "";
  if (slash === -1) return resource.slice(0, colon + 1);
  if (colon === -1) return resource.slice(0, slash + 1);
  return resource.slice(0, Math.min(slash, colon) + 1);
}

function colons(text: string): number {
  let count = 0;
  for (let i = text.indexOf(":"); i !== -1 && count < 5; i = text.indexOf(":", i + 1)) count++;
  return count;
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

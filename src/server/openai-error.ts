/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, so the official clients raise
 * their typed errors (BadRequestError, AuthenticationError, RateLimitError, …). Every error the server sends
 * goes through `toOpenAiError`: our typed errors, fastify's validation and body errors, and bugs (500 with
 * no internals in the message).
 */
import { isGemmaError } from "../errors.js";

export type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: OpenAiErrorType;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** An error the server answers with a given status (thrown by routes and hooks). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAiErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface MappedError {
  readonly status: number;
  readonly body: OpenAiErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

interface AjvIssue {
  readonly instancePath?: string;
  readonly keyword?: string;
  readonly message?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** "/messages/0/role" → "messages[0].role". */
export function paramFromPointer(pointer: string): string {
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(part) ? `[${part}]` : out === "" ? part : `.${part}`;
  }
  return out;
}

function describeValidation(issue: AjvIssue): { message: string; param: string } {
  const base = paramFromPointer(issue.instancePath ?? "");
  const join = (child: string): string => (base === "" ? child : `${base}.${child}`);
  const params = issue.params ?? {};
  if (issue.keyword === "required" && typeof params["missingProperty"] === "string") {
    const param = join(params["missingProperty"]);
    return { param, message: `${param} is required` };
  }
  if (issue.keyword === "additionalProperties" && typeof params["additionalProperty"] === "string") {
    const param = join(params["additionalProperty"]);
    return { param, message: `unrecognized request argument: ${param}` };
  }
  const param = base === "" ? "body" : base;
  const allowed = Array.isArray(params["allowedValues"]) ? ` (${params["allowedValues"].map((v) => JSON.stringify(v)).join(", ")})` : "";
  return { param, message: `${param} ${issue.message ?? "is invalid"}${allowed}` };
}

/**
 * The issue to report: for a value that matches none of a field's forms (anyOf), ajv lists each form's
 * complaint first ("must be string") — the deepest one says what is actually wrong
 * ("messages[0].content[0].type must be equal to one of the allowed values ("text")").
 */
const SCHEMA_COMBINATORS = new Set(["anyOf", "oneOf", "if"]); // they only say that a sub-schema failed

function mostSpecific(issues: readonly AjvIssue[]): AjvIssue {
  let best = issues[0]!;
  const depth = (i: AjvIssue): number => (i.instancePath ?? "").split("/").length;
  for (const issue of issues) {
    if (SCHEMA_COMBINATORS.has(issue.keyword ?? "")) continue;
    // Deeper wins; at the same depth, a complaint about the value (too few items, not allowed) over one about
    // its type, which only says it is not the form that was tried first.
    if (depth(issue) > depth(best) || SCHEMA_COMBINATORS.has(best.keyword ?? "")
      || (depth(issue) === depth(best) && best.keyword === "type" && issue.keyword !== "type")) best = issue;
  }
  return best;
}

function field(e: object, key: string): unknown {
  return (e as Record<string, unknown>)[key];
}

export function toOpenAiError(e: unknown): MappedError {
  const make = (status: number, message: string, type: OpenAiErrorType, param: string | null = null, code: string | null = null, headers: Readonly<Record<string, string>> = {}): MappedError =>
    ({ status, body: { error: { message, type, param, code } }, headers });
  if (e instanceof HttpError) return make(e.status, e.message, e.type, e.param, e.code, e.headers);
  if (isGemmaError(e)) {
    switch (e.code) {
      case "bad_request":
        return make(400, e.message, "invalid_request_error", "field" in e && typeof e.field === "string" ? e.field : null);
      case "unsupported":
        return make(400, e.message, "invalid_request_error", null, "unsupported");
      case "cancelled":
        // The client is gone; nobody reads this. 499 is nginx's "client closed request".
        return make(499, e.message, "invalid_request_error", null, "cancelled");
      case "bad_path":
      case "bad_file":
        return make(500, "the server could not read its model files", "server_error");
      case "device":
        // The GPU was lost or ran out of memory: the server cannot serve until it is restarted.
        return make(503, e.message, "server_error", null, "device_error");
      default: {
        const never: never = e.code;
        return make(500, `unknown error ${String(never)}`, "server_error");
      }
    }
  }
  if (typeof e === "object" && e !== null) {
    const validation = field(e, "validation");
    if (Array.isArray(validation) && validation.length > 0) {
      const { message, param } = describeValidation(mostSpecific(validation as AjvIssue[]));
      return make(400, message, "invalid_request_error", param, "invalid_value");
    }
    const code = field(e, "code");
    const status = field(e, "statusCode");
    if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return make(413, "request body is too large", "invalid_request_error", null, "body_too_large");
    if (typeof status === "number" && status >= 400 && status < 500) {
      const message = field(e, "message");
      return make(status, typeof message === "string" ? message : "bad request", "invalid_request_error", null, typeof code === "string" ? code : null);
    }
  }
  return make(500, "internal server error", "server_error");
}

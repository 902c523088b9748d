/**
 * Errors a user can cause (a bad path, a bad file, a bad request, an unsupported model) are typed,
 * carry a literal `code`, and print as one line. Front ends map them to exit code 2 or an HTTP 4xx;
 * anything else is a bug and keeps its stack.
 */
export type GemmaErrorCode = "bad_path" | "bad_file" | "bad_request" | "unsupported" | "cancelled" | "device";

export abstract class GemmaError extends Error {
  abstract readonly code: GemmaErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    // One line, always: messages may quote file contents or library errors that contain newlines.
    super(message.replace(/\s*[\r\n]+\s*/g, " "), options);
    this.name = new.target.name;
  }
}

/** A path that does not exist, is not readable, or is the wrong kind of thing. */
export class BadPathError extends GemmaError {
  readonly code = "bad_path" as const;
  constructor(readonly path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
  }
}

/** A file whose contents are malformed, inconsistent or hostile. The message names the file. */
export class BadFileError extends GemmaError {
  readonly code = "bad_file" as const;
  constructor(readonly path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options);
  }
}

/** A request or argument that cannot be served as given; `field` names the offending part. */
export class BadRequestError extends GemmaError {
  readonly code = "bad_request" as const;
  constructor(message: string, readonly field?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Something well-formed that this build does not support (an op, dtype, model type or feature). */
export class UnsupportedError extends GemmaError {
  readonly code = "unsupported" as const;
}

/** The caller cancelled the operation (AbortSignal, client disconnect). */
export class CancelledError extends GemmaError {
  readonly code = "cancelled" as const;
  constructor(message = "cancelled") {
    super(message);
  }
}

/** The compute device failed: no GPU adapter, the device was lost, or it ran out of memory. */
export class DeviceError extends GemmaError {
  readonly code = "device" as const;
}

export function isGemmaError(e: unknown): e is GemmaError {
  return e instanceof GemmaError;
}

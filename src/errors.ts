/**
 * Errors that carry their HTTP meaning. Services throw them; one middleware maps them to
 * {"error": {"code", "message", "details"}}. The code is stable: clients branch on it.
 */
export class AcdError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}
export class Unauthorized extends AcdError {
  constructor(message = 'a valid bearer token is required') { super(401, 'UNAUTHORIZED', message); }
}
export class Forbidden extends AcdError {
  constructor(message: string) { super(403, 'FORBIDDEN', message); }
}
export class NotFound extends AcdError {
  // the code is an identifier: 'pause reason' → PAUSE_REASON_NOT_FOUND
  constructor(kind: string, id: string) { super(404, `${kind.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_NOT_FOUND`, `no ${kind} with id ${String(id).slice(0, 200)}`, { id: String(id).slice(0, 200) }); }
}
export class Conflict extends AcdError {
  constructor(code: string, message: string, details?: unknown) { super(409, code, message, details); }
}
export class Invalid extends AcdError {
  constructor(message: string, details?: unknown) { super(422, 'INVALID_REQUEST', message, details); }
}

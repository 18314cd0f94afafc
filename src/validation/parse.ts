import type { z } from 'zod';
import { Invalid } from '../errors';

/** zod's issues as the API's error details: one {path, message} per problem. */
export function describeIssues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
}

/**
 * The one way a request body (or any outside value) becomes typed: parsed by its schema, or a 422
 * INVALID_REQUEST naming every problem. `what` reads as "invalid <what>" in the message.
 */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.infer<S> {
  const p = schema.safeParse(value ?? {});
  if (!p.success) throw new Invalid(`invalid ${what}`, describeIssues(p.error));
  return p.data;
}

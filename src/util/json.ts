/** A parsed JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not an array, not null): the guard every reader of raw input needs. */
export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

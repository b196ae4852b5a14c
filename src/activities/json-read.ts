/** Reading receivers' JSON answers, which may be anything: never throwing, never trusting a shape. */

/** A plain object, or undefined for anything else (arrays and null included). */
export const record = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** The parsed text, or undefined when it is not JSON. */
export function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

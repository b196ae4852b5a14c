import { parseDuration } from '../shared/duration';

export type Report = (path: PropertyKey[], message: string) => void;

/** A validated duration text in ms (the schema has checked the form), or the fallback. */
export function ms(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) ?? fallback);
}

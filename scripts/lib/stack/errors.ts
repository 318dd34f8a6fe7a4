/** A start-up failure phrased for the person at the terminal: which service, why, which log. */
export class StackError extends Error {
  override name = 'StackError';
}

/** The one error configuration throws: a value that does not parse, named with its variable or field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Last line of defence: any known secret value is replaced by *** in text we show or store.

export type Redactor = (text: string) => string;

export function createRedactor(secretValues: Iterable<string | undefined>): Redactor {
  // Longest first, so a secret containing another is masked whole.
  const values = [...new Set([...secretValues].filter((v): v is string => !!v && v.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((result, value) => result.split(value).join('***'), text);
}

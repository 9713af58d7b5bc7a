// Last line of defence: any known secret value, or a part or encoding of one, is replaced by ***
// in text we show or store.

export type Redactor = (text: string) => string;

// Shorter values would mask ordinary words and letters everywhere.
const MIN_LENGTH = 4;

/** userinfo and password of scheme://user:pass@host, as written (usually URL-encoded). */
const USERINFO = /^[a-z][a-z\d+.-]*:\/\/([^/?#]*)@/i;

/**
 * The secret and the parts of it that are secret on their own: a cloud may echo a connection
 * string in another form (options appended, hosts reordered) and an app may log the password.
 * A userinfo without a password is only a user name, and masking names would garble output.
 */
function parts(value: string): string[] {
  const userinfo = USERINFO.exec(value)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  return colon < 0 ? [value] : [value, userinfo!, userinfo!.slice(colon + 1)];
}

/** The forms a value takes in URLs, JSON documents and base64 payloads. */
function forms(value: string): string[] {
  const urlForms = [value, encodeURIComponent(value)];
  try {
    urlForms.push(decodeURIComponent(value));
  } catch {
    // Not valid percent-encoding: there is no decoded form.
  }
  return urlForms.flatMap((form) => [form, JSON.stringify(form).slice(1, -1), Buffer.from(form).toString('base64')]);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createRedactor(secretValues: Iterable<string | undefined>): Redactor {
  const values = new Set<string>();
  for (const secret of secretValues) {
    if (!secret) continue;
    for (const part of parts(secret)) {
      // The length applies to the part too, or a one-letter password would mask its base64.
      if (part.length < MIN_LENGTH) continue;
      for (const form of forms(part)) if (form.length >= MIN_LENGTH) values.add(form);
    }
  }
  if (!values.size) return (text) => text;
  // One pass over the text; alternatives are tried in order, so longest first masks a secret
  // that contains another whole.
  const pattern = new RegExp([...values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, '***');
}

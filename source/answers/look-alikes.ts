// Punycode domains whose letters mix scripts (a Cyrillic "а" among Latin ones) read like another
// name: the review warns, since users' traffic and the certificate would go to that name.
import { domainToUnicode } from 'node:url';

/** Scripts a domain's letters come from; Japanese writing mixes three, and Korean may add Han, so each counts as one. */
const SCRIPTS: [name: string, letters: RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Japanese', /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Korean', /\p{Script=Hangul}/u],
];

/** The warning for a domain with a punycode label whose letters mix scripts; undefined for any other. */
export function lookAlikeWarning(domain: string): string | undefined {
  for (const label of domain.split('.')) {
    if (!label.startsWith('xn--')) continue;
    const unicode = domainToUnicode(label);
    const scripts = SCRIPTS.filter(([, letters]) => [...unicode].some((char) => letters.test(char))).map(([name]) => name);
    if (scripts.length > 1) {
      return `${domain} is "${domainToUnicode(domain)}" in Unicode, and its label ${label} mixes ${scripts.join(' and ')} letters: make sure it is the domain you own, not a look-alike of another.`;
    }
  }
  return undefined;
}

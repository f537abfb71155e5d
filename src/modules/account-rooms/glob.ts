/**
 * Resource patterns for `account_rooms.exclude_resources`: `*` matches any
 * run of characters, `?` one character, everything else itself.
 */
export function globMatcher(patterns: readonly string[]): (value: string) => boolean {
  if (patterns.length === 0) return () => false;
  const regexes = patterns.map((pattern) => new RegExp(`^${pattern.split('').map(globChar).join('')}$`, 'u'));
  return (value) => regexes.some((re) => re.test(value));
}

function globChar(char: string): string {
  if (char === '*') return '.*';
  if (char === '?') return '.';
  return char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

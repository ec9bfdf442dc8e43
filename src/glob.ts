/**
 * The one pattern matcher: glob patterns over names Icinga2 returned: `*` is any run of
 * characters (`!` included), `?` one character, case is ignored. Linear backtracking, so no
 * pattern can make it slow, unlike a regular expression built from chat text or config.
 *
 * Two semantics, one implementation:
 * - whole names (the default; routes' host and service patterns): `web01` matches `web01` only;
 * - `containsWithoutWildcards` (the chat commands' `problems <pattern>` and `mute <pattern>`,
 *   see patternMatcher): a pattern without wildcards matches names that contain it.
 */
export interface GlobOptions {
  /** A pattern without `*` or `?` matches the names that contain it, not only the whole name. */
  containsWithoutWildcards?: boolean;
}

export function globMatcher(pattern: string, { containsWithoutWildcards = false }: GlobOptions = {}): (name: string) => boolean {
  const effective = containsWithoutWildcards && !/[*?]/.test(pattern) ? `*${pattern}*` : pattern;
  const wanted = [...effective.toLowerCase()];
  return (name) => {
    const text = [...name.toLowerCase()];
    let p = 0;
    let t = 0;
    let starAt = -1;
    let resumeAt = 0;
    while (t < text.length) {
      if (p < wanted.length && (wanted[p] === '?' || (wanted[p] !== '*' && wanted[p] === text[t]))) {
        p++;
        t++;
      } else if (p < wanted.length && wanted[p] === '*') {
        starAt = p++;
        resumeAt = t;
      } else if (starAt >= 0) {
        p = starAt + 1;
        t = ++resumeAt;
      } else {
        return false;
      }
    }
    while (wanted[p] === '*') p++;
    return p === wanted.length;
  };
}

/** The chat commands' patterns (`problems`, `mute`, `unmute`): globs, and a plain word matches the names containing it. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  return globMatcher(pattern, { containsWithoutWildcards: true });
}

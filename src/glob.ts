/**
 * Glob patterns over names Icinga2 returned: `*` is any run of characters (`!` included), `?` one
 * character, case is ignored. Linear backtracking, so no pattern can make it slow, unlike a
 * regular expression built from chat text or config.
 */
export function globMatcher(pattern: string): (name: string) => boolean {
  const wanted = [...pattern.toLowerCase()];
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

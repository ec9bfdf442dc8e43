/**
 * "Did you mean ...?": the known name closest to a mistyped one. Bounded, because the mistyped
 * name comes from chat (up to a command's full length) and the known names from Icinga2 (thousands
 * of hosts): at most MAX_TYPOS letters wrong, so only names of about the same length are compared
 * at all, and each comparison stops as soon as it cannot come within the limit.
 */

/** Letters wrong at most, however long the name: beyond this it is another name, not a typo. */
export const MAX_TYPOS = 8;

/**
 * Levenshtein distance, case-insensitive (people mistype case as often as letters), between code
 * point lists; any value over `limit` is returned as `limit + 1`. Only cells within `limit` of
 * the diagonal can stay within it, so the cost is length × (2 limit + 1), not length².
 */
function boundedDistance(left: readonly string[], right: readonly string[], limit: number): number {
  const outside = limit + 1;
  if (Math.abs(left.length - right.length) > limit) return outside;
  // Two rows, reused; cells outside the band hold `outside`.
  let previous = new Int32Array(right.length + 2).fill(outside);
  let current = new Int32Array(right.length + 2).fill(outside);
  for (let j = 0; j <= Math.min(right.length, limit); j++) previous[j] = j;
  for (let i = 1; i <= left.length; i++) {
    const low = Math.max(1, i - limit);
    const high = Math.min(right.length, i + limit);
    current[low - 1] = low === 1 ? Math.min(i, outside) : outside;
    current[high + 1] = outside;
    let rowBest = current[low - 1];
    for (let j = low; j <= high; j++) {
      const cost = left[i - 1] === right[j - 1] ? 0 : 1;
      const cell = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost, outside);
      current[j] = cell;
      if (cell < rowBest) rowBest = cell;
    }
    if (rowBest > limit) return outside;
    [previous, current] = [current, previous];
  }
  return previous[right.length];
}

/**
 * The candidate closest to `word`, if one is close enough to be what was meant (a third of its
 * letters wrong at most, and MAX_TYPOS); ties go to the first in sort order.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const letters = [...word.toLowerCase()];
  const limit = Math.min(MAX_TYPOS, Math.max(1, Math.floor(letters.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    // UTF-16 length bounds the code point count from above, and is half of it at worst: a cheap first cut.
    if (name.length < letters.length - limit || name.length > 2 * (letters.length + limit)) continue;
    const distance = boundedDistance(letters, [...name.toLowerCase()], limit);
    if (distance > limit) continue;
    if (best === undefined || distance < best.distance || (distance === best.distance && name < best.name)) best = { name, distance };
  }
  return best?.name;
}

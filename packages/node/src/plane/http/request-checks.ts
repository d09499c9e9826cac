// Request checks Node's parser does not make. RFC 9112 §3.2: a server MUST answer 400 to an
// HTTP/1.1 request with more than one Host field line. Node keeps the first and drops the
// rest, so a front end and a back end that pick different ones would disagree on the target
// (routing and cache confusion); ringleader refuses the request instead (found by test/hostile).

/** Host field lines in `rawHeaders` (name, value, name, value…), case-insensitively. O(fields). */
export function hostFieldCount(rawHeaders: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

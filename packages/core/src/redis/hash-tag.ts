// Hash tags, as Redis Cluster (cluster spec, "Hash tags") and twemproxy's hash_tag "{}" read
// them: only the part between the first '{' and the first '}' after it is hashed, if that
// part is not empty; otherwise the whole key. {user:1}:profile and {user:1}:cart therefore
// share an owner.

/** The bytes of `key` to hash: a subarray, never a copy. */
export function hashTag(key: Buffer): Buffer {
  const open = key.indexOf(123); // '{'
  if (open < 0) return key;
  const close = key.indexOf(125, open + 1); // '}'
  if (close <= open + 1) return key; // no '}' after it, or "{}"
  return key.subarray(open + 1, close);
}

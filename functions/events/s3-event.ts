/** What the S3-triggered handlers share about S3 event notifications. */

/** An S3 event key as S3 sends it (URL-encoded, spaces as "+") decoded to the object's real key. */
export function decodeKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

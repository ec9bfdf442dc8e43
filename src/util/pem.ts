/**
 * What is wrong with a PEM file's contents, if anything. Node takes a CA that is not PEM without
 * a word and then trusts nothing, and reports a bad client key only at the first connection: the
 * config check and the connection ask here first.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** `what`: 'CA' for one or more certificates (a CA bundle), 'certificate' or 'key'. */
export function pemProblem(pem: string, what: 'CA' | 'certificate' | 'key'): string | undefined {
  if (what === 'key') {
    try {
      createPrivateKey(pem);
      return undefined;
    } catch (error) {
      return `not a readable private key in PEM (${(error as Error).message})`;
    }
  }
  const blocks = pem.match(CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'no PEM certificate in it (-----BEGIN CERTIFICATE-----)';
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return `an unreadable certificate in it (${(error as Error).message})`;
    }
  }
  return undefined;
}

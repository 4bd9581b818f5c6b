// Shared by the node tests: paths, vector loading, and a nonce stream that replays the Python prover's draws.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const STATIC = join(ROOT, 'src/plebiscite/booth/static');
export const js = (name) => import(join(STATIC, 'js', name));
export const vectors = (name) => JSON.parse(readFileSync(join(ROOT, 'tests/vectors', name), 'utf8'));

/** A `random` for the provers that returns the listed scalars in order and fails loudly on a surplus draw. */
export function replay(nonces, G) {
  let i = 0;
  const next = () => {
    if (i >= nonces.length) throw new Error(`prover drew more than the ${nonces.length} listed nonces`);
    return G.scalarFromHex(nonces[i++]);
  };
  next.used = () => i;
  return next;
}

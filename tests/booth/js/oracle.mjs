// The Python core as an oracle for the booth's Merkle and board checks: plebiscite.merkle run under the project's
// Python (PLEBISCITE_PYTHON, which tests/booth/test_static.py sets to its own interpreter; else .venv/bin/python).
// One JSON request on stdin, one JSON answer on stdout. Missing Python fails the test rather than skipping it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.mjs';

const PYTHON = process.env.PLEBISCITE_PYTHON ?? join(ROOT, '.venv/bin/python');

//   tree      {size, pairs: [[m, n]], inclusions: [[i, n]]} → leaves b"leaf <i>": raw leaves, roots of every size,
//             consistency proofs of the pairs, inclusion proofs
//   verify    {cases: [{first, second, first_root, second_root, proof}]} → [null | error] (verify_consistency)
//   evidence  {key, items: [evidence JSON]} → ["fork: …" | "consistent" | "refused: …"] (verify_heads_consistent)
const SCRIPT = String.raw`
import json, sys
from plebiscite.merkle import (ForkDetected, ForkEvidence, MerkleTree, leaf_hash, verify_consistency,
    verify_heads_consistent)
req = json.load(sys.stdin)
cmd = sys.argv[1]
if cmd == "tree":
    leaves = [b"leaf %d" % i for i in range(req["size"])]
    tree = MerkleTree(leaf_hash(x) for x in leaves)
    out = {
        "leaves": [x.hex() for x in leaves],
        "roots": [tree.root(n).hex() for n in range(req["size"] + 1)],
        "consistency": [{"first": m, "second": n, "proof": [h.hex() for h in tree.consistency_proof(m, n)]}
                        for m, n in req["pairs"]],
        "inclusion": [{"index": i, "size": n, "proof": [h.hex() for h in tree.inclusion_proof(i, n)]}
                      for i, n in req["inclusions"]],
    }
elif cmd == "verify":
    out = []
    for c in req["cases"]:
        try:
            verify_consistency(c["first"], c["second"], bytes.fromhex(c["first_root"]),
                               bytes.fromhex(c["second_root"]), [bytes.fromhex(h) for h in c["proof"]])
            out.append(None)
        except Exception as exc:
            out.append(f"{type(exc).__name__}: {exc}")
else:
    out = []
    for item in req["items"]:
        try:
            e = ForkEvidence.from_json(json.dumps(item))
            verify_heads_consistent(e.first, e.second, [bytes.fromhex(h) for h in e.proof], bytes.fromhex(req["key"]))
            out.append("consistent")
        except ForkDetected as exc:
            out.append(f"fork: {exc}")
        except Exception as exc:
            out.append(f"refused: {type(exc).__name__}: {exc}")
json.dump(out, sys.stdout)
`;

export function python(command, request) {
  const done = spawnSync(PYTHON, ['-c', SCRIPT, command], { cwd: ROOT, input: JSON.stringify(request), encoding: 'utf8',
    maxBuffer: 64 << 20 });
  if (done.error) throw new Error(`cannot run ${PYTHON} (set PLEBISCITE_PYTHON): ${done.error.message}`);
  if (done.status !== 0) throw new Error(`python ${command} failed:\n${done.stderr}`);
  return JSON.parse(done.stdout);
}

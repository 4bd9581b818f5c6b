"""Zero-knowledge proofs (Fiat–Shamir, strong): Schnorr, Chaum–Pedersen, disjunctive range proofs.

All proofs are *compact*: they carry challenges and responses; the verifier recomputes the commitments from the
statement and checks that the hash of everything equals the challenge. This halves proof size and gives a second
implementation one equation per proof to match (docs/protocol.md).
"""

from plebiscite.proofs.common import ProofError

__all__ = ["ProofError"]

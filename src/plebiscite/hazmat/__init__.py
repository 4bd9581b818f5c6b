"""Dangerous primitives, fenced off as in pyca/cryptography's ``hazmat``.

Only code that implements the protocol (proofs, ElGamal, and the phase packages: setup, keyceremony, ballot, tally,
decrypt, coercion, verify, record) imports from here; the server and the CLI use nothing but its error type. Raw group
arithmetic is easy to misuse (forgotten validation, reused randomness, identity elements), and ``ed25519`` calls C
with fixed-length buffers.

``group`` is ristretto255; ``ed25519`` is the verification of ballot signatures on the verifier's hot path (all other
signatures go through PyNaCl).
"""

"""Dangerous primitives, fenced off as in pyca/cryptography's ``hazmat``.

Only code that implements the protocol (proofs, ElGamal, and the phase packages: setup, keyceremony, ballot, tally,
decrypt, coercion, verify, record) imports from here; the server and the CLI use nothing but its error type. Raw group
arithmetic is easy to misuse (forgotten validation, reused randomness, identity elements).

``group`` is ristretto255. Ballots are signed in that group (``proofs/ballot_signature.py``); every Ed25519
signature (heads, signed posts, receipts) goes through PyNaCl.
"""

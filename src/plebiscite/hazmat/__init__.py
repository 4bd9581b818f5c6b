"""Dangerous primitives, fenced off as in pyca/cryptography's ``hazmat``.

Only the protocol layer (``plebiscite.proofs``, ``plebiscite.elgamal``) should import from here: raw group
arithmetic is easy to misuse (forgotten validation, reused randomness, identity elements).
"""

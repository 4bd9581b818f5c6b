"""Threshold decryption: partial decryptions with proofs from any k trustees, Lagrange combination, counts."""

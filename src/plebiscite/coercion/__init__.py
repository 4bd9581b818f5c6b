"""Coercion-resistant mode (JCJ/Civitas-style) with a tally linear in the number of ballots.

A voter holds a credential that a coercer cannot tell from the fakes the voter can make at will; every ballot
carries an encrypted credential; after voting closes the trustees drop all but the last ballot per credential,
fold a secret-key check of the credential into the ciphertext, mix ballots and roll with proofs of shuffle, and
match blinded deterministic tags of both in a hash table. docs/coercion.md is the specification.

Importing this package registers the mode's event types with the record reader.
"""

from plebiscite.coercion import events as _events  # noqa: F401  (registers the event types)

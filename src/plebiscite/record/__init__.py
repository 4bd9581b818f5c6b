"""The election record: a versioned, append-only log of typed events (Belenios-style), as a directory or zip.

See docs/record.md for the byte-exact format. The verifier reads records only through this package.
"""

"""Setup phase: manifest, parameters, roll and the election fingerprint."""

"""Key ceremony: Pedersen distributed key generation with Feldman commitments, k-of-n."""

"""Tally: pick the ballots that count (roll, last ballot per credential, never challenged) and add them up."""

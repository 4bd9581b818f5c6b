"""Ballots: encrypted on the voter's device, proved well-formed, signed with the voter's credential."""

"""Election forensics: statistical fingerprints of fabricated results in published precinct data.

The package reads one row per polling station (registered voters, ballots, votes per option), then measures
patterns that honest counting rarely produces and fabrication often does: too many round percentages
(Kobak, Shpilkin & Pshenichnikov 2016), a smeared turnout x vote-share fingerprint (Klimek et al. 2012), leader
votes that grow with turnout faster than everyone else's (Shpilkin), and spikes at simple fractions beyond what
small stations produce naturally (Rozenas 2017). Nothing here proves fraud; every figure is a measured departure
from a stated null model, and docs/forensics.md says what each one assumes.

It deliberately depends on no cryptography in the project: forensics works on published numbers only.
"""

from __future__ import annotations

from plebiscite.forensics.election import Election, ExcludedRow, ReadLog
from plebiscite.forensics.errors import ForensicsInputError
from plebiscite.forensics.reading import read_election

__all__ = ["Election", "ExcludedRow", "ForensicsInputError", "ReadLog", "read_election"]

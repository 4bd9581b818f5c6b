"""plebiscite: a referendum that cannot be faked.

Phases live in their own packages (``setup``, ``keyceremony``, ``ballot``, ``tally``, ``decrypt``, ``verify``);
the group and its raw operations are fenced off in ``hazmat``.
"""

__version__ = "0.1.0"

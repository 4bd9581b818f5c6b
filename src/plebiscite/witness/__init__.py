"""``plebiscite witness``: an independent observer that cosigns the board's tree heads (docs/board.md §4).

``state`` keeps the witness's key and its durable memory of what it cosigned (SQLite); ``service`` polls a board,
checks each head and posts its cosignature. The rule it enforces: never cosign two roots at one size, nor a tree
smaller than one already cosigned, nor a head not consistent with the last one cosigned.
"""

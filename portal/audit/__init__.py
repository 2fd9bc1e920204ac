"""The audit trail: append-only, tamper-evident entries of each plan decision (`trail`, `tables`).

It sits below plans in the layers so that a plan write, which can move an agreed plan back to
draft, writes its entry in the same transaction; it imports nothing of ours but the database.
"""

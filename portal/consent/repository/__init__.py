"""Every query of the consent domain, each in a function named for what it reads or writes.

One module per resource (`access` for the decision's facts and the names sharing shows,
`access_log`, `grants`, `invitations`, `representatives`; `sql` holds what they share). Rows
come back as Structs, one per stored version, with the names the pages show; the decision's
facts as the policy's own Structs. The rules, and which writes share a transaction, are the
services'; nothing above this package reads a dict row. Hand-written SQL stays hand-written.
"""

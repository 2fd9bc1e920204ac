"""Exports of a plan for an audience: accessible PDF (standard and large print), FHIR R4 for NHS
and council systems, and the person's own data (subject access). Each holds only what the
access decision lets its reader see, and each is written to the access log."""

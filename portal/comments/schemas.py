"""The section comments API's request and response types."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec


class CommentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    # The length and the characters are checked by the service, after the access decision,
    # so that nobody learns anything about a section from how their comment is judged.
    comment: str


class SectionCommentRead(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    section: str
    section_title: str
    comment: str
    by: str
    # person, representative, co-author, or the staff role held in the signing-off organisation.
    role: str
    at: dt.datetime

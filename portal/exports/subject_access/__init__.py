"""The person's own data (subject access): everything the portal holds about them, in a zip.

"About them" is decided here, once, and said in the archive's index:
- their account: email, name, how they sign in, their sign-in sessions and staff roles;
- every plan about them (their person's plans): its content, metadata and sign-off state, every
  version sent for sign-off, every revision, the comments on it, who it is shared with (grants,
  invitations, representatives, with their history), requests for a review, proposed package
  changes, sign-off and outcome decisions, and its access log;
- the messages the portal sent them;
- what others gave them: grants on other people's plans and records of speaking for someone,
  as ids, sections and access levels only, and the log lines of what they did there. The
  content of someone else's plan is that person's data, never this person's.

Secrets are never read out of the database: no password hash, session token hash or
invitation token hash is selected, so none can reach the archive. Each plan passes the access
decision (`plan:export`) and the export is written to the plan's access log.
"""

from portal.exports.subject_access.archive import INDEX_NAME, archive_name, subject_access_archive

__all__ = ["INDEX_NAME", "archive_name", "subject_access_archive"]

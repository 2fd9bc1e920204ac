"""Who can see a plan: sharing, invitations, who speaks for the person, and who has looked.

Every access decision is the consent service's (which asks `policy.decide`): these pages read
forms, call the service and show what it says. A plan the actor may not know about is "Page
not found"; someone who may read it but not choose who sees it gets the service's 403 page.

- grants: the sharing page itself, sharing with an account or an organisation, changing and
  stopping it, its history, and the plan as they see it;
- invitations: inviting by a link, and withdrawing an invitation;
- representatives: recording who speaks for the person, and ending the record;
- access_log: who has looked;
- common and words: how every sharing page handles its form and says things.
"""

from portal.routes.pages.sharing.access_log import ACCESS_LOG_ROUTES
from portal.routes.pages.sharing.grants import GRANT_ROUTES
from portal.routes.pages.sharing.invitations import INVITATION_ROUTES
from portal.routes.pages.sharing.representatives import REPRESENTATIVE_ROUTES

SHARING_ROUTES = [
    *GRANT_ROUTES,
    *INVITATION_ROUTES,
    *REPRESENTATIVE_ROUTES,
    *ACCESS_LOG_ROUTES,
]

__all__ = ["SHARING_ROUTES"]

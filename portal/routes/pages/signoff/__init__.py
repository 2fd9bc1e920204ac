"""Sign-off pages, one module for each thing a reader looks for.

- `status`: where a plan is in sign-off, and submitting it
- `versions`: one version as it was submitted, and what changed since another
- `trays`: an organisation's work trays
- `decisions`: the decide page: authorise the plan, authorise the budget, return it
- `allocation`: the decide page's indicative allocation
- `outcomes`: staff agree or decline outcomes
- `staff_review`: the staff review page
- `review_requests`: asking for a review, starting one, saying one is not needed now
- `package_changes`: proposing, reading and deciding changes to the support
- `tolerance`: an organisation's tolerance for package changes
- `withdrawal`: the signing-off organisation on the sharing page, and withdrawing consent

Every rule is the sign-off service's (`portal.signoff`, which asks the access decision): these
pages read forms, call the service and show what it says, each form the same way
(`signoff.form`), with typed rows for the templates (`signoff.views`).
"""

from typing import Any

from portal.routes.pages.signoff.allocation import ALLOCATION_ROUTES
from portal.routes.pages.signoff.decisions import DECISION_ROUTES
from portal.routes.pages.signoff.outcomes import OUTCOME_ROUTES
from portal.routes.pages.signoff.package_changes import PACKAGE_CHANGE_ROUTES
from portal.routes.pages.signoff.review_requests import REVIEW_REQUEST_ROUTES
from portal.routes.pages.signoff.staff_review import STAFF_REVIEW_ROUTES
from portal.routes.pages.signoff.status import STATUS_ROUTES
from portal.routes.pages.signoff.tolerance import TOLERANCE_ROUTES
from portal.routes.pages.signoff.trays import TRAY_ROUTES
from portal.routes.pages.signoff.versions import VERSION_ROUTES
from portal.routes.pages.signoff.withdrawal import WITHDRAWAL_ROUTES

SIGNOFF_ROUTES: list[Any] = [
    *STATUS_ROUTES,
    *VERSION_ROUTES,
    *TRAY_ROUTES,
    *DECISION_ROUTES,
    *ALLOCATION_ROUTES,
    *OUTCOME_ROUTES,
    *STAFF_REVIEW_ROUTES,
    *REVIEW_REQUEST_ROUTES,
    *PACKAGE_CHANGE_ROUTES,
    *TOLERANCE_ROUTES,
    *WITHDRAWAL_ROUTES,
]

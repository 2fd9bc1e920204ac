"""Lets the `piccolo` command find the portal's configuration from the repository root."""

from portal.piccolo_conf import APP_REGISTRY, DB  # noqa: F401

"""The plan portal: a person-held care and support plan for England."""

import os

# Piccolo binds tables to an engine when they are imported, found through PICCOLO_CONF.
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

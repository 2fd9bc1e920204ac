"""Piccolo's configuration: one engine chosen by portal.settings, one app for every domain."""

from piccolo.conf.apps import AppRegistry

from portal.db import make_engine
from portal.settings import load_settings

DB = make_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["portal.piccolo_app"])

"""Comments on a section: `service` keeps and reads them; `schemas` are the API's types."""

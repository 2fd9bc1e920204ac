"""Run the one migration history on whichever database the settings select."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate(quiet: bool = False) -> None:
    """Bring the schema up to date; safe to run on every start."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        response = await run_forwards(app_name="portal", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"Migrations failed: {response.message}\n{output.getvalue()}")

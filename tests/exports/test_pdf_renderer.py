"""The PDF worker pool on its own: rendering off the event loop, a worker that dies, a PDF that
takes too long. Real worker processes and the real WeasyPrint; nothing is mocked."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from portal.core.errors import DomainError
from portal.exports.pdf import PdfRenderer
from portal.problems import status_of

SMALL = '<html lang="en-GB"><head><title>A</title></head><body><h1>A</h1><p>One.</p></body></html>'
BIG = (
    '<html lang="en-GB"><head><title>B</title></head><body><h1>B</h1>'
    + "".join(f"<h2>Part {n}</h2><p>{'Words and more words. ' * 400}</p>" for n in range(60))
    + "</body></html>"
)


async def test_a_worker_that_dies_is_a_503_and_the_next_pdf_is_made() -> None:
    renderer = PdfRenderer(workers=1, timeout_seconds=60)
    try:
        assert (await renderer.render(SMALL)).startswith(b"%PDF-")
        pool = renderer._pool
        assert pool is not None
        pids = list(pool._processes)  # the worker processes, to kill one mid-PDF
        rendering = asyncio.create_task(renderer.render(BIG))
        await asyncio.sleep(0.5)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(DomainError) as refused:
            await rendering
        assert status_of(refused.value) == 503
        assert refused.value.headers == {"Retry-After": "60"}
        assert "Nothing in the plan has changed" in refused.value.detail
        # A new pool is made for the next one.
        assert (await renderer.render(SMALL)).startswith(b"%PDF-")
        assert renderer._pool is not pool
    finally:
        renderer.close()


async def test_a_pdf_that_takes_too_long_is_a_503() -> None:
    renderer = PdfRenderer(workers=1, timeout_seconds=0.2)
    try:
        # Start the worker first, so the timeout is of rendering.
        renderer.timeout_seconds = 60
        await renderer.render(SMALL)
        renderer.timeout_seconds = 0.2
        with pytest.raises(DomainError) as refused:
            await renderer.render(BIG)
        assert status_of(refused.value) == 503 and "took too long" in refused.value.detail
    finally:
        renderer.close()

"""HTML to tagged PDF (PDF/UA-1) with WeasyPrint, in worker processes off the event loop.

Rendering a plan is CPU work that can take seconds for a long one. The event loop hands the
finished HTML to a process pool and awaits the bytes, so other requests are answered while a
PDF is being made. Workers are started with "spawn" (a clean interpreter, no copy of the
server's threads or database connections) the first time a PDF is asked for, and each keeps
WeasyPrint loaded for the next one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from portal.core.errors import DomainError, Unavailable

__all__ = ["PdfRenderer", "render_pdf_now"]

# WeasyPrint's variant that tags the PDF (structure tree, /Lang, the title shown) for PDF/UA-1.
PDF_VARIANT = "pdf/ua-1"


def render_pdf_now(html: str) -> bytes:
    """Render HTML to PDF/UA-1 bytes in this process. The HTML is complete: styles and images
    are inline, so nothing is fetched except `data:` addresses (no files, no network)."""
    import weasyprint  # noqa: PLC0415 (loaded in the worker, not in the server)

    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf


def _warm_up() -> None:
    # Importing WeasyPrint (Pango, fonts) takes most of a second: do it before the first PDF.
    import weasyprint  # noqa: F401, PLC0415


class PdfRenderer:
    """Worker processes that turn HTML into PDF: made on first use, closed with the app."""

    def __init__(self, workers: int, timeout_seconds: float) -> None:
        self.workers = workers
        self.timeout_seconds = timeout_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_warm_up,
                )
            return self._pool

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def render(self, html: str) -> bytes:
        """The PDF of `html`, made in a worker. A worker that died is replaced for next time;
        this request is told to try again (503) either way, and nothing is saved or lost."""
        pool = self._executor()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(pool, render_pdf_now, html)
            return await asyncio.wait_for(future, timeout=self.timeout_seconds)
        except BrokenProcessPool:
            self._forget(pool)
            raise _not_now("The program that makes PDFs stopped while making this one.") from None
        except TimeoutError:
            raise _not_now("Making this PDF took too long.") from None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _not_now(what: str) -> DomainError:
    return Unavailable(
        "The PDF could not be made just now",
        f"{what} Nothing in the plan has changed. Try again in a minute.",
        headers={"Retry-After": "60"},
    )

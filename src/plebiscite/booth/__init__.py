"""The voting booth that runs in the voter's browser: static HTML, CSS and ES modules (docs/booth.md).

The service mounts :data:`STATIC_DIR` at ``/booth/`` and sends :data:`SECURITY_HEADERS` with every booth response
(the pages rely on them: the CSP forbids inline code and third-party origins, Trusted Types forbid HTML sinks).
Nothing here runs on the server; the booth talks to the board API under ``/api/``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONTENT_SECURITY_POLICY", "SECURITY_HEADERS", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
"""The booth's files: ``index.html`` (vote), ``check.html`` (check a receipt), ``results.html``."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # ES modules from the booth's own origin only, each pinned by SRI in the pages
        "style-src 'self'",  # one stylesheet; no style attributes or <style> elements
        "img-src 'self'",
        "connect-src 'self'",  # the board API on the same origin
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",  # forms are handled by script; never submitted (a credential code must not leak)
        "frame-ancestors 'none'",  # no clickjacking of the Cast button
        "require-trusted-types-for 'script'",  # no HTML-string sinks (innerHTML …) can be used at all
        "trusted-types 'none'",
    )
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # the camera only for this origin's own pages: the booth reads a credential sheet's QR code with it (the frames
    # never leave the page; coercion-resistant elections only)
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
    # Revalidate every time: a page cached from an older deployment would pin old SRI hashes and refuse new scripts.
    "Cache-Control": "no-cache",
}
"""Headers for every response under ``/booth/`` (the API may send them too; they are harmless on JSON)."""

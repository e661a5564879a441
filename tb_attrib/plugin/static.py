"""Serving the frontend's files from the installed ``tb_attrib.frontend`` package.

Only regular files directly inside the package whose suffix has a known content type can be
served, and a request names one by exact match against that listing. No request string is
ever joined onto a file-system path, so ``../``, percent-encoded or backslashed paths and
absolute paths cannot reach anything else: they simply match no listed name.
"""

from __future__ import annotations

import importlib.resources

from tensorboard import errors

FRONTEND_PACKAGE = "tb_attrib.frontend"

CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
"""Suffixes that may be served, with the content type of each."""


def list_files() -> dict[str, str]:
    """Maps each servable file name of the frontend package to its content type.

    Listed per request (one directory read) so that files added while TensorBoard runs are
    found; an uninstalled frontend package gives an empty listing.
    """
    try:
        root = importlib.resources.files(FRONTEND_PACKAGE)
    except (ImportError, TypeError):
        return {}
    listing = {}
    for entry in root.iterdir():
        name = entry.name
        suffix = name[name.rfind(".") :] if "." in name else ""
        if suffix in CONTENT_TYPES and not name.startswith(".") and entry.is_file():
            listing[name] = CONTENT_TYPES[suffix]
    return listing


def read_file(name: str) -> tuple[bytes, str]:
    """Returns the bytes and content type of frontend file ``name``.

    Raises:
      NotFoundError: ``name`` is not exactly the name of a servable file.
    """
    content_type = list_files().get(name)
    if content_type is None:
        raise errors.NotFoundError("no such frontend file")
    data = importlib.resources.files(FRONTEND_PACKAGE).joinpath(name).read_bytes()
    return data, content_type

"""Settings read from the environment, in one place and only at call time.

Nothing here runs at import: every function reads ``os.environ`` when it is
called, so a notebook that sets a variable after importing the package is
honoured and tests need not patch module state.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final, Literal

import platformdirs

from mining_licenses._errors import ParameterTypeError
from mining_licenses._validate import MAX_PATH_CHARS, path, text

ENV_API_KEY: Final = "SECTORS_API_KEY"
ENV_BASE_URL: Final = "SECTORS_BASE_URL"
ENV_DATA_DIR: Final = "MINING_LICENSES_DATA"
DEFAULT_BASE_URL: Final = "https://api.sectors.app"
APP_NAME: Final = "mining-licenses"

#: Where ``load_licenses`` (and every command) takes its data from.
Source = Literal["auto", "api", "snapshot", "sample"]
SOURCES: Final = ("auto", "api", "snapshot", "sample")

# Names of settings, metadata entries or headers that may hold a credential.
_SECRET_NAME: Final = re.compile(r"(?i)(^key$|api.?key|token|secret|passw|auth|credential|cookie)")


def is_secret_name(name: object) -> bool:
    """Return True when ``name`` looks like the name of a credential (never stored or shown).

    Examples
    --------
    >>> [is_secret_name(n) for n in ("api_key", "Authorization", "key", "base_url", "monkey")]
    [True, True, True, False, False]
    """
    return bool(_SECRET_NAME.search(str(name)))


def api_key(explicit: object = None) -> str | None:
    """Return the API key: ``explicit`` if given, else ``SECTORS_API_KEY``, else None."""
    if explicit is not None and not isinstance(explicit, str):
        # the value itself is never shown: it may be a key in the wrong shape
        msg = f"api_key must be a str (or None), not {type(explicit).__name__}."
        raise ParameterTypeError(msg)
    if explicit:
        return explicit
    return os.environ.get(ENV_API_KEY) or None


def base_url(explicit: object = None) -> str:
    """Return the API base URL: ``explicit``, else ``SECTORS_BASE_URL``, else the public one."""
    given = None
    if explicit is not None:
        given = text(explicit, name="base_url", function=None, max_chars=MAX_PATH_CHARS, empty=True)
    return (given or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def store_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the snapshot store folder (not created here).

    ``explicit`` if given, else ``MINING_LICENSES_DATA``, else the per-user data
    directory (``~/.local/share/mining-licenses`` on Linux).
    """
    if explicit is not None:
        return path(explicit, name="store", function=None).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

"""Settings read from the environment, in one place and only at call time.

Nothing here runs at import: every function reads ``os.environ`` when it is
called, so a notebook that sets a variable after importing the package is
honoured and tests need not patch module state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final, Literal

import platformdirs

from mining_licenses import _redact
from mining_licenses._errors import ConfigurationError, ParameterTypeError
from mining_licenses._validate import MAX_PATH_CHARS, path, text

ENV_API_KEY: Final = "SECTORS_API_KEY"
ENV_BASE_URL: Final = "SECTORS_BASE_URL"
ENV_DATA_DIR: Final = "MINING_LICENSES_DATA"
DEFAULT_BASE_URL: Final = "https://api.sectors.app"
APP_NAME: Final = "mining-licenses"

#: Where ``load_licenses`` (and every command) takes its data from.
Source = Literal["auto", "api", "snapshot", "sample"]
SOURCES: Final = ("auto", "api", "snapshot", "sample")


def is_secret_name(name: object) -> bool:
    """Return True when ``name`` looks like the name of a credential (never stored or shown).

    Examples
    --------
    >>> [is_secret_name(n) for n in ("api_key", "Authorization", "key", "base_url", "monkey")]
    [True, True, True, False, False]
    """
    return bool(_redact.SECRET_NAME.search(str(name)))


#: The longest text taken for an API key (a Sectors key is a few dozen characters).
MAX_KEY_CHARS: Final = 512


def api_key(explicit: object = None, *, check: bool = False) -> str | None:
    r"""Return the API key: ``explicit`` if given, else ``SECTORS_API_KEY``, else None.

    The key is registered for redaction (:func:`mining_licenses._redact.remember`)
    as it is read. A value that is not text raises :class:`ParameterTypeError`
    (never showing it: it may be a key in the wrong shape). With ``check``, a
    key that cannot be sent as it is (whitespace, a line break, control or
    non-ASCII characters) raises :class:`ConfigurationError` saying what is
    wrong, never showing the key.

    Examples
    --------
    >>> try:
    ...     api_key("sk-example-0123456789\n", check=True)
    ... except ConfigurationError as err:
    ...     print(str(err)[:72])
    The API key given as api_key= ends with a line break (a copy-paste accid
    """
    if explicit is not None and not isinstance(explicit, str):
        msg = (
            f"api_key must be a str (your Sectors API key) or None, not "
            f"{type(explicit).__name__}; or leave it out to use {ENV_API_KEY}."
        )
        raise ParameterTypeError(msg)
    key = explicit or os.environ.get(ENV_API_KEY) or None
    if key is None:
        return None
    if len(key) > MAX_KEY_CHARS:  # not a key: something else pasted (never shown)
        where = "given as api_key=" if explicit else f"in {ENV_API_KEY}"
        msg = (
            f"The API key {where} is {len(key):,} characters long; a Sectors API key is far "
            f"shorter (at most {MAX_KEY_CHARS}). Copy the key again, whole and alone. The key "
            "is not shown here; nothing was sent."
        )
        raise ConfigurationError(msg)
    _redact.remember(key)
    problem = _redact.key_problem(key) if check else None
    if problem is not None:
        where = "given as api_key=" if explicit else f"in {ENV_API_KEY}"
        if _redact.key_problem(key.strip()) is None:
            fix = (
                "Strip it (key.strip() in Python; in a shell, "
                f'export {ENV_API_KEY}="$(echo ${ENV_API_KEY})" drops surrounding whitespace).'
            )
        else:
            fix = (
                "Copy the key again, whole and alone: a Sectors API key is printable ASCII "
                "without spaces."
            )
        msg = f"The API key {where} {problem}. {fix} The key is not shown here; nothing was sent."
        raise ConfigurationError(msg)
    return key


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
        return path(explicit, name="store", function=None, folder=True).expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

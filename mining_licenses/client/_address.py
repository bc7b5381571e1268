"""Where a client sends its requests: the base URL, checked before anything is sent.

The key travels in the ``Authorization`` header, and nowhere else: a base URL
that carries user info, a query string or a fragment is refused (a password
or a key there would be shown wherever the URL is; a query would turn the
endpoint's path into part of it), as is plain ``http://`` to a host that is
not loopback. Every message shows the URL redacted
(:func:`mining_licenses._redact.redact`, through the package's errors).
"""

from __future__ import annotations

import httpx

from mining_licenses import _config, _wire
from mining_licenses._errors import ConfigurationError


def checked_base_url(explicit: str | None, *, allow_insecure: bool) -> str:
    """Return the base URL to send requests to, or raise ConfigurationError saying why not.

    ``explicit`` if given, else ``SECTORS_BASE_URL``, else the public API.

    Refused: anything but http(s) with a host; plain ``http://`` to a host that
    is not loopback (unless ``allow_insecure``); user info (``user:password@``:
    the key travels in the ``Authorization`` header, never in the URL, and a
    password there would be shown wherever the URL is); a query string or
    fragment (every request goes to ``<base_url>/v2/mining/licenses/`` with its
    own parameters, so they would be silently dropped, or worse, turn the
    endpoint's path into a query). Messages show the URL redacted.

    Examples
    --------
    >>> checked_base_url("https://api.sectors.app/", allow_insecure=False)
    'https://api.sectors.app'
    >>> checked_base_url("https://me:hunter2@api.sectors.app", allow_insecure=False)
    Traceback (most recent call last):
    ...
    mining_licenses._errors.ConfigurationError: base_url='https://me:***@api.sectors.app' \
carries a user name or password. The Sectors API takes the key in the Authorization header, \
never in the URL: pass the URL without it (such as https://api.sectors.app) and the key as \
SECTORS_API_KEY or api_key=.
    """
    given: object = explicit  # callers' types are not trusted
    if given is not None and not isinstance(given, str):
        kind = type(given).__name__
        msg = f"base_url must be text such as {_config.DEFAULT_BASE_URL!r}, not {kind}."
        raise ConfigurationError(msg)
    url = _config.base_url(explicit)
    named = "base_url" if explicit else _config.ENV_BASE_URL
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        msg = f"{named}={url!r} is not a valid URL."
        raise ConfigurationError(msg) from None  # httpx's message may repeat the URL
    if parsed.scheme not in ("http", "https") or not parsed.host:
        msg = f"{named}={url!r} must be an http(s) URL such as {_config.DEFAULT_BASE_URL}."
        raise ConfigurationError(msg)
    if parsed.userinfo:
        msg = (
            f"{named}={url!r} carries a user name or password. The Sectors API takes the key "
            f"in the Authorization header, never in the URL: pass the URL without it (such as "
            f"{_config.DEFAULT_BASE_URL}) and the key as {_config.ENV_API_KEY} or api_key=."
        )
        raise ConfigurationError(msg)
    if parsed.query or parsed.fragment or "?" in url or "#" in url:
        msg = (
            f"{named}={url!r} has a query string or fragment, which would never be sent as "
            f"meant (requests go to <base_url>{_wire.ENDPOINT_PATH} with their own "
            f"parameters). Pass the bare URL, such as {_config.DEFAULT_BASE_URL}; the key goes "
            f"in {_config.ENV_API_KEY} or api_key=."
        )
        raise ConfigurationError(msg)
    if parsed.scheme == "http" and not (_wire.is_loopback(parsed.host) or allow_insecure):
        msg = (
            f"Refusing plain http:// to {parsed.host}: the API key would travel unencrypted. "
            "Use https://, or pass allow_insecure=True if you really mean it."
        )
        raise ConfigurationError(msg)
    return url

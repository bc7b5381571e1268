"""The one redaction path: what leaves the package never shows the API key.

:func:`remember` registers a secret once it is read (``_config.api_key`` does it
for the API key); :func:`redact` is what every string leaving the package goes
through: exception messages and reprs (``MiningLicensesError`` redacts its
arguments), log records at every level (the filter of :func:`get_logger`, from
which every module of the package takes its logger), warnings, the CLI's error
lines, sweep and snapshot metadata (:func:`redact_value`). It removes:

- every registered secret in every form text may show it in: raw, stripped of
  surrounding whitespace, escaped as ``repr``, ``ascii``, a bytes ``repr`` or
  JSON would write it, URL-encoded (``quote`` and ``quote_plus``), and cut
  short (a form's first 12 characters or more, as an error that shortens a
  value shows it);
- credentials in URLs: the password of ``scheme://user:password@host`` (and a
  user name alone, ``scheme://token@host``), and the value of query parameters
  whose name looks like a credential (``?key=``, ``api_key=``, ``token=``...).

Redaction runs at the boundaries (an error, a log record, metadata), never per
page: the page path instead refuses a body that carries the key
(:func:`carries_secret`, one substring search of the raw bytes a page).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import quote, quote_plus

MASK: Final = "***"
#: Secrets shorter than this are not searched for in text (they would mask ordinary words).
MIN_SECRET: Final = 6
#: A secret cut short is still masked from this many leading characters on.
MIN_PREFIX: Final = 12
#: Characters after MIN_PREFIX a cut-short secret is matched to (a key is far shorter).
MAX_NESTED: Final = 200

#: Names of settings, metadata entries, headers or query parameters that may hold a credential.
SECRET_NAME: Final = re.compile(
    r"(?i)(^key$|api.?key|token|secret|passw|auth|credential|cookie|signature|^sig$)"
)
# scheme://user:password@  or  scheme://user@  (user info, up to the host)
_USERINFO: Final = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^\s:/?#@'\"<>]*)"
    r"(?::(?P<password>[^\s/?#@'\"<>]*))?@"
)
# ?name=value or &name=value (also ; as a separator)
_QUERY: Final = re.compile(r"(?P<lead>[?&;](?P<name>[^\s=&#?;'\"<>]+)=)(?P<value>[^\s&#;'\"<>]*)")

_lock = threading.Lock()
_secrets: list[str] = []
_pattern: re.Pattern[str] | None = None
_needles: tuple[bytes, ...] = ()


def _forms(secret: str) -> set[str]:
    """Return every way ``secret`` may be written in text."""
    core = secret.strip()
    forms = {secret, core}
    for value in (secret, core):
        forms |= {
            repr(value)[1:-1],
            ascii(value)[1:-1],
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
            quote(value, safe=""),
            quote_plus(value, safe=""),
        }
        with contextlib.suppress(UnicodeEncodeError):  # lone surrogates: no bytes form
            forms.add(repr(value.encode())[2:-1])
    return {form for form in forms if len(form) >= MIN_SECRET}


def _prefix_pattern(form: str) -> str:
    """Return a pattern matching ``form``, or its first :data:`MIN_PREFIX` characters or more.

    The cut-short forms nest one group a character, so they stop after
    :data:`MAX_NESTED` more (the regex parser recurses per group); a longer
    form is matched whole too.
    """
    head = min(len(form), MIN_PREFIX)
    nested = form[head : head + MAX_NESTED]
    tail = "".join(f"(?:{re.escape(char)}" for char in nested) + ")?" * len(nested)
    short = re.escape(form[:head]) + tail
    return short if len(form) <= head + MAX_NESTED else f"{re.escape(form)}|{short}"


def _rebuild() -> None:
    global _pattern, _needles  # noqa: PLW0603 - the registry is process-wide on purpose
    forms = sorted({f for secret in _secrets for f in _forms(secret)}, key=len, reverse=True)
    _pattern = re.compile("|".join(map(_prefix_pattern, forms))) if forms else None
    needles = {f.encode("utf-8", "surrogatepass") for f in forms}
    _needles = tuple(sorted(needles, key=len))


def remember(secret: str | None) -> None:
    r"""Register ``secret`` (the API key) so that :func:`redact` removes it from now on.

    Examples
    --------
    >>> remember("sk-doc-1234567890abcdef")
    >>> redact("Illegal header value b'sk-doc-1234567890abcdef\\n'")
    "Illegal header value b'***\\n'"
    """
    if not isinstance(secret, str) or len(secret.strip()) < MIN_SECRET:
        return
    with _lock:
        if secret in _secrets:
            return
        _secrets.append(secret)  # for the process's life: a live client may still hold it
        _rebuild()


def forget_all() -> None:
    """Forget every registered secret (for tests)."""
    with _lock:
        _secrets.clear()
        _rebuild()


def _mask_userinfo(match: re.Match[str]) -> str:
    if match["password"] is not None:
        return f"{match['scheme']}{match['user']}:{MASK}@"
    return f"{match['scheme']}{MASK}@"


def _mask_query(match: re.Match[str]) -> str:
    if SECRET_NAME.search(match["name"]) and match["value"]:
        return match["lead"] + MASK
    return match[0]


def redact(text: str) -> str:
    """Return ``text`` without any registered secret and without credentials in URLs.

    Examples
    --------
    >>> redact("GET http://user:hunter2@example.org/v2/?key=abc&limit=30")
    'GET http://user:***@example.org/v2/?key=***&limit=30'
    >>> redact("nothing to hide")
    'nothing to hide'
    """
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "@" in text:
        text = _USERINFO.sub(_mask_userinfo, text)
    if "=" in text:
        text = _QUERY.sub(_mask_query, text)
    return text


def redact_value(value: Any) -> Any:
    """Return ``value`` (JSON-like: dicts, lists, tuples, text) with every text redacted.

    Examples
    --------
    >>> redact_value({"base_url": "https://u:p@h", "notes": ["x"], "pages": 3})
    {'base_url': 'https://u:***@h', 'notes': ['x'], 'pages': 3}
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def carries_secret(data: bytes) -> bool:
    """Return True when ``data`` holds a registered secret, in any form (one search a form).

    Examples
    --------
    >>> remember("sk-doc-carried-0123456789")
    >>> carries_secret(b'{"message": "bad key sk-doc-carried-0123456789"}')
    True
    """
    return any(needle in data for needle in _needles)


def key_problem(key: str) -> str | None:
    r"""Return what makes ``key`` unusable as a header value, without showing it (None: fine).

    An API key is printable ASCII without spaces; a line break or a space at an
    end is the usual copy-paste accident.

    Examples
    --------
    >>> key_problem("sk-abc123\n")
    'ends with a line break (a copy-paste accident?)'
    >>> key_problem("sk-abc 123"), key_problem("sk-abc123")
    ('has a space at position 7', None)
    """
    if not key.strip():
        return "is empty or only whitespace"
    stripped = key.strip()
    if stripped != key:
        end = "ends" if key[-1].isspace() else "starts"
        char = key[-1] if end == "ends" else key[0]
        what = "a line break" if char in "\r\n" else f"a {_char_name(char)}"
        return f"{end} with {what} (a copy-paste accident?)"
    for position, char in enumerate(key, start=1):
        if not ("!" <= char <= "~"):
            return f"has a {_char_name(char)} at position {position}"
    return None


def _char_name(char: str) -> str:
    if char == " ":
        return "space"
    if char == "\t":
        return "tab"
    if char in "\r\n":
        return "line break"
    if unicodedata.category(char).startswith("C"):
        return f"control character (U+{ord(char):04X})"
    if char.isspace():
        return f"whitespace character (U+{ord(char):04X})"
    return "non-ASCII character"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message (and its traceback text) in place."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it its own way
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER: Final = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """Return the logger ``name`` with the redacting filter: every module's logger comes here.

    A filter on a logger sees only the records logged to that logger (not its
    children's), so each module's logger carries it.

    Examples
    --------
    >>> get_logger("mining_licenses.doc").filters[0].__class__.__name__
    'RedactingFilter'
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def guard(loggers: Iterable[str]) -> None:
    """Add the redacting filter to other loggers too (the CLI's ``-vv`` turns on httpcore's)."""
    for name in loggers:
        get_logger(name)

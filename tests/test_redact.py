"""Invariant 2: one redaction path; the key and URL credentials in no output, in any form.

The key is a fake (``sk-test-...``); every test looks for it in every form
text may show it in (:func:`key_forms`), wherever the package writes or
shows anything: exception text and reprs, log records at DEBUG (the
package's and httpcore's), the CLI's stdout and stderr, metadata, the
journal's bytes, pickles.
"""

from __future__ import annotations

import json
import logging
import pickle
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from mining_licenses import _redact
from mining_licenses._errors import (
    ApiError,
    BadResponseError,
    ConfigurationError,
    IncompleteSweepWarning,
    MiningLicensesError,
)
from mining_licenses.cli import main
from mining_licenses.client import SectorsClient, SweepResult
from mining_licenses.loader import Pull, pull
from mining_licenses.replica import Exchange, Raw, Replica
from tests._replica_fixtures import TODAY, make_records

KEY = "sk-test-redact-8c2f6a1e9d4b7053"


def key_forms(key: str) -> set[str]:
    """Every way a key may show in text: raw, stripped, escaped, bytes repr, URL-encoded."""
    forms = {key, key.strip(), repr(key)[1:-1], repr(key.encode())[2:-1], quote(key, safe="")}
    forms |= {json.dumps(key)[1:-1], key.strip()[:16]}
    return {f for f in forms if len(f) >= 8}


def assert_hidden(texts: list[str] | list[bytes], secret: str) -> None:
    for text in texts:
        for form in key_forms(secret):
            needle: Any = form.encode() if isinstance(text, bytes) else form
            assert needle not in text, (form, text[:500])


# ------------------------------------------------------- the key printed in full
@pytest.mark.parametrize(
    ("suffix", "said"),
    [
        ("\n", "ends with a line break"),
        ("\r\n", "ends with a line break"),
        (" ", "ends with a space"),
        ("\t", "ends with a tab"),
    ],
)
def test_a_key_with_trailing_whitespace_is_refused_before_any_request_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    suffix: str,
    said: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = KEY + suffix
    texts: list[str] = []
    with Replica(make_records(30, seed=41), api_key=KEY) as replica:
        with pytest.raises(ConfigurationError, match=said) as refused:
            SectorsClient(bad, base_url=replica.url, progress=False)
        assert "Strip it" in str(refused.value)
        texts += [str(refused.value), repr(refused.value)]
        monkeypatch.setenv("SECTORS_API_KEY", bad)
        assert main(["pull", "--base-url", replica.url, "--no-progress"]) == 2
        assert main(["-vv", "pull", "--base-url", replica.url, "--no-progress"]) == 2
        assert replica.requests_served == 0  # refused before any request
    captured = capsys.readouterr()
    assert f"error: The API key in SECTORS_API_KEY {said}" in captured.err
    texts += [captured.out, captured.err, caplog.text]
    assert_hidden(texts, bad)


@pytest.mark.parametrize(
    ("key", "said"),
    [
        (KEY[:10] + " " + KEY[10:], "has a space at position 11"),
        (KEY[:10] + "\x00" + KEY[10:], r"control character \(U\+0000\)"),
        (KEY[:10] + "é" + KEY[10:], "non-ASCII character"),
        ("   ", "empty or only whitespace"),
    ],
)
def test_a_key_with_inner_whitespace_or_control_characters_is_refused_unshown(
    key: str, said: str
) -> None:
    with pytest.raises(ConfigurationError, match=said) as refused:
        SectorsClient(key, base_url="http://127.0.0.1:9", progress=False)
    assert_hidden([str(refused.value), repr(refused.value)], key)


def test_a_key_that_is_not_text_is_a_package_error() -> None:
    with pytest.raises(ConfigurationError, match="api_key must be a str"):
        SectorsClient(123, base_url="http://127.0.0.1:9", progress=False)  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [513, 100_000])
def test_a_key_too_long_to_be_one_is_refused_unshown(length: int) -> None:
    """Found by generated arguments: a 100,000-character 'key' broke the redaction's regex."""
    key = "k" * length
    with pytest.raises(ConfigurationError, match=f"is {length:,} characters long") as refused:
        SectorsClient(key, base_url="http://127.0.0.1:9", progress=False)
    assert key[:20] not in str(refused.value)


def test_a_long_secret_is_still_redacted_whole_and_cut_short() -> None:
    secret = "L0ng-" + "s" * 5_000  # longer than any key: the patterns stay compilable
    _redact.remember(secret)  # kept for the process, as every key is (others stay registered)
    assert _redact.redact(f"said {secret}.") == f"said {_redact.MASK}."
    assert secret[:300] not in _redact.redact(f"cut {secret[:300]}")


# --------------------------------------------- credentials in a base URL
@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("http://analyst:pw-{key}@{host}", "user name or password"),
        ("http://{key}@{host}", "user name or password"),
        ("http://{host}/?key={key}", "query string or fragment"),
        ("http://{host}?api_key={key}", "query string or fragment"),
        ("http://{host}/#{key}", "query string or fragment"),
    ],
)
def test_a_base_url_with_credentials_a_query_or_a_fragment_is_refused_unshown(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    template: str,
    said: str,
) -> None:
    texts: list[str] = []
    with Replica(make_records(30, seed=42), api_key=KEY) as replica:
        url = template.format(key=KEY, host=replica.url.removeprefix("http://"))
        with pytest.raises(ConfigurationError, match=said) as refused:
            SectorsClient(KEY, base_url=url, progress=False)
        texts += [str(refused.value), repr(refused.value)]
        with pytest.raises(ConfigurationError, match=said) as refused:
            pull(api_key=KEY, base_url=url, store=tmp_path / "store", progress=False)
        texts += [str(refused.value)]
        monkeypatch.setenv("SECTORS_API_KEY", KEY)
        assert main(["pull", "--base-url", url, "--no-progress"]) == 2
        monkeypatch.setenv("SECTORS_BASE_URL", url)
        assert main(["pull", "--no-progress"]) == 2
        assert replica.requests_served == 0
    captured = capsys.readouterr()
    assert "***" in captured.err or "#" in template
    texts += [captured.out, captured.err]
    assert_hidden(texts, KEY)


def test_metadata_reprs_and_pickles_never_carry_url_credentials() -> None:
    import datetime as dt

    import polars as pl

    when = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)
    url = f"https://analyst:{KEY}@api.example.org"
    result = SweepResult(
        [], 0, 1, 1, 1, 0, True, 0, 0, (), {}, "license_expiry_date", 30, url, when, when,
        notes=(f"a note quoting {url}/v2/?token={KEY}",),
    )  # fmt: skip
    pulled = Pull(frame=pl.DataFrame(), sweep=result, source="api")
    texts = [repr(result), json.dumps(result.metadata()), repr(pulled), str(pulled.meta())]
    assert result.base_url == "https://analyst:***@api.example.org"
    assert_hidden(texts, KEY)
    assert_hidden([pickle.dumps(result), pickle.dumps(pulled)], KEY)
    with (
        SectorsClient(KEY, base_url="http://127.0.0.1:9", progress=False) as client,
        pytest.raises(ConfigurationError, match="cannot be pickled"),
    ):
        pickle.dumps(client)


# ------------------------------------------------- a server that echoes the key
def echo(where: str) -> Any:
    """A hook that echoes the key the way ``where`` says."""

    def hook(exchange: Exchange) -> Raw | None:
        if exchange.status != 200:
            return None
        if where == "a record":
            body = exchange.page()
            body["results"][0]["company_name"] = f"PT {KEY}"
            return Raw(200, json.dumps(body).encode())
        if where == "total_count":
            body = exchange.page()
            body["pagination"]["total_count"] = KEY
            return Raw(200, json.dumps(body).encode())
        if where == "a header":
            return Raw(200, exchange.body, headers={"X-Echo": KEY})
        if where == "a 400 message":
            return Raw(400, json.dumps({"message": f"bad key {KEY!r}"}).encode())
        if where == "a 500 message":
            return Raw(500, json.dumps({"detail": f"upstream said {KEY}"}).encode())
        if where == "a 401 message":
            return Raw(401, json.dumps({"error": f"key {quote(KEY)} revoked"}).encode())
        return None

    return hook


@pytest.mark.parametrize(
    "where",
    ["a record", "total_count", "a header", "a 400 message", "a 500 message", "a 401 message"],
)
def test_a_server_echoing_the_key_never_gets_it_into_errors_logs_or_the_journal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpcore's too (it logs response headers)
    texts: list[str] = []
    store = tmp_path / "store"
    with Replica(make_records(60, seed=43), api_key=KEY, as_of=TODAY, hook=echo(where)) as rep:
        try:
            pulled = pull(
                api_key=KEY, base_url=rep.url, store=store, progress=False, max_attempts=2,
                backoff=0.01, backoff_max=0.02,
            )  # fmt: skip
            texts += [repr(pulled), json.dumps(pulled.sweep.metadata()), str(pulled.meta())]
        except MiningLicensesError as err:
            texts += [str(err), repr(err), repr(err.__cause__), repr(err.__context__)]
            caught: MiningLicensesError | None = err
        else:
            caught = None
        if where in ("a record", "total_count"):
            assert isinstance(caught, BadResponseError)
        if where == "a record":
            assert "carries your API key" in str(caught)
        monkeypatch.setenv("SECTORS_API_KEY", KEY)
        monkeypatch.setenv("MINING_LICENSES_DATA", str(store))
        code = main(["-vv", "pull", "--base-url", rep.url, "--no-progress", "--max-attempts", "2"])
        if where != "a header":
            assert code == 2
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text]
    texts += [str(r.__dict__) for r in caplog.records]
    assert_hidden(texts, KEY)
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert_hidden(files, KEY)


def test_errors_logs_and_warnings_redact_every_form_of_a_registered_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "sk-test-forms-\x1b[31m-0a9b8c7d"
    _redact.remember(key)
    for form in key_forms(key):
        assert form not in str(ApiError(f"server said {form}"))
        assert form not in repr(ConfigurationError(f"value {form!r}"))
    caplog.set_level(logging.DEBUG, logger="mining_licenses")
    logger = _redact.get_logger("mining_licenses.test")
    logger.debug("raw %s repr %r bytes %r", key, key, key.encode())
    try:
        raise ValueError(key)
    except ValueError:
        logger.exception("failed")
    assert_hidden([caplog.text], key)
    with pytest.warns(IncompleteSweepWarning, match="echo") as caught:
        warnings.warn(f"echo {key}", IncompleteSweepWarning, stacklevel=1)
    assert_hidden([str(w.message) for w in caught], key)

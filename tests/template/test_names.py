"""The NAME rule: a Python identifier that is also a compose project, image and DNS-safe name."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.new_service import MAX_NAME_LENGTH, Names, UsageError, check_name, main


@pytest.mark.parametrize(
    ("name", "kebab", "env_prefix"),
    [
        ("billing", "billing", "BILLING_"),
        ("billing_api", "billing-api", "BILLING_API_"),
        ("svc2", "svc2", "SVC2_"),
        ("a", "a", "A_"),
        ("a1_b2_c3", "a1-b2-c3", "A1_B2_C3_"),
    ],
)
def test_valid_name_gives_its_kebab_form_and_env_prefix(
    name: str, kebab: str, env_prefix: str
) -> None:
    assert check_name(name) == Names(snake=name, kebab=kebab, env_prefix=env_prefix)


def test_name_of_the_maximum_length_is_accepted() -> None:
    name = "b" * MAX_NAME_LENGTH
    assert check_name(name).snake == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "NAME is required"),
        ("b" * (MAX_NAME_LENGTH + 1), "too long"),
        ("Billing", "try 'billing'"),
        ("billing-api", "try 'billing_api'"),
        ("2fa", "starting with a letter"),
        ("_billing", "starting with a letter"),
        ("billing_", "not valid"),
        ("billing__api", "not valid"),
        ("bill.ing", "not valid"),
        ("bill ing", "not valid"),
        ("bílling", "not valid"),
        ("class", "Python keyword"),
        ("pip", "PIP_"),
        ("gunicorn", "GUNICORN_"),
        ("compose", "COMPOSE_"),
    ],
)
def test_bad_name_is_refused_with_the_rule_it_breaks(name: str, reason: str) -> None:
    with pytest.raises(UsageError, match=None) as refused:
        check_name(name)
    assert reason in str(refused.value)


def test_bad_name_exits_2_with_a_message_and_writes_nothing(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "out"
    status = main(["--name", "Billing-API", "--dest", str(dest), "--source", str(mini_template)])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("new-service: NAME 'Billing-API' is not valid")
    assert not dest.exists()


def test_missing_name_from_make_is_refused_with_the_usage(
    tmp_path: Path, mini_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `make new-service DEST=x` passes --name "" rather than leaving the option out.
    status = main(["--name", "", "--dest", str(tmp_path / "out"), "--source", str(mini_template)])
    assert status == 2
    assert "make new-service NAME=billing DEST=../billing" in capsys.readouterr().err

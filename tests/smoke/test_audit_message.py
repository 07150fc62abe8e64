"""`make audit` names the lookup that failed instead of pip-audit's "Dependency not found"."""

from __future__ import annotations

from devtools.audit import explain

PIP_AUDIT_ERROR = (
    "ERROR:pip_audit._cli:gunicorn: Dependency not found on PyPI and could not be audited: "
    "gunicorn (27.0.1)\n"
)


def test_each_unaudited_dependency_gets_the_url_and_its_answer() -> None:
    asked: list[str] = []

    def ask(url: str) -> str:
        asked.append(url)
        return "404 Not Found"

    (paragraph,) = explain(PIP_AUDIT_ERROR, ask)
    assert asked == ["https://pypi.org/pypi/gunicorn/27.0.1/json"]
    assert "gunicorn 27.0.1 was not audited" in paragraph
    assert "https://pypi.org/pypi/gunicorn/27.0.1/json (PyPI's JSON API), which answered 404" in (
        paragraph
    )


def test_a_clean_audit_gets_no_explanation() -> None:
    assert explain("No known vulnerabilities found\n", lambda url: "unused") == []

from __future__ import annotations


def test_liveness_is_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_is_ready_once_create_app_finished(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readiness_is_503_until_initialised(app) -> None:
    app.extensions["ready"] = False
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "starting"}

from __future__ import annotations


def test_index_renders_base_layout_with_stylesheet_and_items(client) -> None:
    response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/style.css">' in html
    assert "It works: wsgi-stack is running" in html
    assert '<a href="/api/items/3">3</a>' in html


def test_index_escapes_service_name_from_config() -> None:
    from app import create_app

    app = create_app({"TESTING": True, "SERVICE_NAME": "<script>x</script>"})
    html = app.test_client().get("/").get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_stylesheet_is_served_in_development(client) -> None:
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"--accent" in response.data
    response.close()


def test_hello_is_plain_text(client) -> None:
    response = client.get("/hello")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.data == b"Hello, World!"


def test_every_response_names_the_replica_and_the_request(client) -> None:
    for path in ("/", "/hello", "/api/items/1", "/missing"):
        response = client.get(path)
        assert response.headers["X-Served-By"] == "test-replica"
        assert response.headers["X-Request-ID"]
